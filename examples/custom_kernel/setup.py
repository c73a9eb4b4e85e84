"""The compiled part of sepiakit: pixelkit.build turns src/sepiakit.h and its sources into sepiakit._native."""

from setuptools import setup

setup(cffi_modules=["build_kernels.py:ffibuilder"])
