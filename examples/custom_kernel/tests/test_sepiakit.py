"""sepiakit against numpy and OpenCV, installed as a user installs it (pip install .)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import sepiakit
from numpy.typing import NDArray

import pixelkit

SEPIA = np.array([[0.393, 0.769, 0.189], [0.349, 0.686, 0.168], [0.272, 0.534, 0.131]], np.float32)


@pytest.fixture
def frame() -> NDArray[np.uint8]:
    return np.random.default_rng(7).integers(0, 256, (480, 640, 3), dtype=np.uint8)


def test_sepia_equals_its_fixed_point_formula(frame: NDArray[np.uint8]) -> None:
    amount = np.float32(0.8)
    exact = np.float32(128) * (amount * SEPIA + (np.float32(1) - amount) * np.eye(3, dtype=np.float32))
    m = np.floor(exact + np.float32(0.5)).astype(np.int64)
    expected = np.minimum((frame.astype(np.int64) @ m.T + 64) >> 7, 255)
    np.testing.assert_array_equal(sepiakit.sepia(frame, 0.8).array, expected)
    # and OpenCV's float colour transform of the same matrix, within rounding
    reference = cv2.transform(frame.astype(np.float32), m.astype(np.float32) / 128)
    assert np.abs(expected - np.minimum(np.floor(reference + 0.5), 255)).max() <= 1


def test_sobel_agrees_with_opencv(frame: NDArray[np.uint8]) -> None:
    grey = pixelkit.to_gray(frame).astype(np.float32)
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3, borderType=cv2.BORDER_REFLECT_101)
    expected = np.minimum(np.floor(cv2.magnitude(gx, gy) + 0.5), 255)
    assert np.abs(sepiakit.sobel(frame).astype(np.float64) - expected).max() <= 1


def test_sobel_is_the_same_on_one_and_two_threads(frame: NDArray[np.uint8]) -> None:
    big = np.tile(frame, (3, 3, 1))
    pixelkit.set_num_threads(1)
    one = sepiakit.sobel(big)
    pixelkit.set_num_threads(2)
    np.testing.assert_array_equal(sepiakit.sobel(big), one)


def test_median_is_opencvs_inside_the_border(frame: NDArray[np.uint8]) -> None:
    np.testing.assert_array_equal(sepiakit.median3(frame).array[1:-1, 1:-1], cv2.medianBlur(frame, 3)[1:-1, 1:-1])


def test_unsharp_sharpens_around_pixelkits_blur(frame: NDArray[np.uint8]) -> None:
    blurred = pixelkit.gaussian_blur(frame, 2.0).array.astype(np.float32)
    v = frame.astype(np.float32) + np.float32(0.5) * (frame.astype(np.float32) - blurred)
    expected = np.clip(np.where(v >= 0, np.floor(v + np.float32(0.5)), np.ceil(v - np.float32(0.5))), 0, 255)
    np.testing.assert_array_equal(sepiakit.unsharp(frame, 2.0, 0.5).array, expected)


def test_errors_name_the_function(frame: NDArray[np.uint8]) -> None:
    with pytest.raises(ValueError, match=r"sepiakit\.sepia"):
        sepiakit.sepia(frame, 3.0)
    with pytest.raises(TypeError):
        sepiakit.sepia(frame, "0.5")
