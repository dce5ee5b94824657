#!/usr/bin/env python3
"""Writes the seed corpus of fuzz/npy_fuzzer.cpp into fuzz/corpus/npy/.

numpy is not needed: the files are laid out as numpy.lib.format writes them (magic
"\\x93NUMPY", version, little-endian header length, a Python dict literal padded with spaces
and ended by '\\n' so that the data start at a multiple of 64 bytes), plus a few that other
writers produce (Python 2 long literals, double quotes, no padding, bytes after the data).
The output is deterministic; rerun it after changing the list below.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "npy")


def npy(descr, shape, values, fortran=False, version=(1, 0), pad=True, dict_text=None, trailing=b""):
    if dict_text is None:
        shape_text = "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
        dict_text = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
            descr, "True" if fortran else "False", shape_text)
    header = dict_text.encode("utf-8" if version[0] == 3 else "latin-1")
    preamble = 10 if version[0] == 1 else 12
    if pad:
        header += b" " * ((64 - (preamble + len(header) + 1) % 64) % 64)
    header += b"\n"
    size = struct.pack("<H", len(header)) if version[0] == 1 else struct.pack("<I", len(header))
    fmt = {"<f4": "f", "<f8": "d", "<i8": "q", "<i4": "i", "<i2": "h", "|u1": "B", "|b1": "?",
           "<u8": "Q"}[descr]
    data = struct.pack("<" + fmt * len(values), *values)
    return b"\x93NUMPY" + bytes(version) + size + header + data + trailing


def seeds():
    # [2, 3] row-major values 0..5; Fortran order stores them column by column.
    c_2x3 = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    f_2x3 = [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    yield "v1_f8_2x3.npy", npy("<f8", (2, 3), c_2x3)
    yield "v1_f4_vector.npy", npy("<f4", (5,), [1.5, -2.0, 0.0, 3.25, 1e-3])
    yield "v1_i8_fortran_2x3.npy", npy("<i8", (2, 3), [int(v) for v in f_2x3], fortran=True)
    yield "v1_f4_fortran_2x3x2.npy", npy("<f4", (2, 3, 2), [float(i) for i in range(12)], fortran=True)
    yield "v2_f8_3x2.npy", npy("<f8", (3, 2), [0.5, -0.5, 1e300, -1e-300, 2.0, 4.0], version=(2, 0))
    yield "v3_u1_4.npy", npy("|u1", (4,), [0, 1, 128, 255], version=(3, 0))
    yield "v1_b1_scalar.npy", npy("|b1", (), [True])
    yield "v1_f8_empty_0x3.npy", npy("<f8", (0, 3), [])
    yield "v1_i2_rank4.npy", npy("<i2", (1, 2, 1, 2), [-32768, -1, 0, 32767])
    yield "v1_f8_nan_inf.npy", npy("<f8", (3,), [float("nan"), float("inf"), -float("inf")])
    # Other writers: Python 2's long literals and double quotes, no padding, trailing bytes.
    yield "v1_i4_py2_long.npy", npy("<i4", None, [1, 2, 3, 4], pad=False,
                                     dict_text='{"descr": "<i4", "fortran_order": False, "shape": (2L, 2L)}')
    yield "v1_u8_trailing.npy", npy("<u8", (2,), [0, 2**64 - 1], trailing=b"extra bytes")


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        print("%-28s %4d bytes" % (name, len(data)))


if __name__ == "__main__":
    main()
