"""pixelkit.build's wrapper rules, from parsed declarations to signatures and back through JSON (no compiler:
these run against the installed package too)."""

from __future__ import annotations

from pixelkit.build import signatures
from pixelkit.build.declarations import Declarations


def test_signature_rules() -> None:
    decls = Declarations(
        "pk_status a(const pk_image *src, const pk_image *dst, int k);"
        "pk_status b(const pk_image *src, const pk_plane *out);"
        "pk_status c(const pk_image *x, const pk_image *y);"
        "pk_status d(const pk_plane *dst);"
        "int e(const char *s);",
        known_types=["pk_image", "pk_plane", "pk_status"],
    )
    by_name = {f.name: signatures.signature_of(f) for f in decls.functions}
    a = by_name["a"]
    assert a is not None and [p.python_name for p in a.inputs] == ["src", "k"] and a.output and a.output.c_index == 1
    b = by_name["b"]
    assert b is not None and b.output is not None and b.output.kind == "plane"
    c = by_name["c"]
    assert c is not None and c.output is None  # no parameter named dst/out: both are inputs
    assert by_name["d"] is None  # an output with no image to take its size from
    assert by_name["e"] is None  # a char pointer: raw lib only
    assert signatures.from_json(signatures.to_json([a, b, c])) == [a, b, c]
