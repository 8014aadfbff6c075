#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed corpus of fuzz_tls. Each file is a mode byte (bits 0-1:
# suite 0 AES-128-GCM, 1 AES-256-GCM, 2 ChaCha20-Poly1305; bit 2: raw
# stream, else sealed inner plaintexts; bits 3-7: raw chunk size) and then
# either raw peer bytes or [len_hi len_lo][inner plaintext] items that the
# target seals itself. Run from this folder: ./gen_corpus.py (it rewrites
# corpus/).
import os
import shutil

DATA, HS, ALERT = 23, 22, 21


def item(inner):
    return bytes([len(inner) >> 8, len(inner) & 0xff]) + inner


def data(text, pad=0):
    return item(text + bytes([DATA]) + bytes(pad))


KU_REQ = item(bytes([24, 0, 0, 1, 1, HS]))
KU_NOREQ = item(bytes([24, 0, 0, 1, 0, HS]))

SEALED = {
    "data": data(b"<message>hi</message>"),
    "data_padded": data(b"hi", pad=200),
    "data_max": data(b"x" * 16384),
    "data_overflow": data(b"x" * 16385),
    "zero_length_data": data(b""),
    "all_zero": item(bytes(32)),
    "key_update_requested": KU_REQ + data(b"after") + KU_REQ + KU_REQ + data(b"again"),
    "key_update_not_requested": KU_NOREQ + data(b"after"),
    "key_update_split": item(bytes([24, 0, HS])) + item(bytes([0, 1, 1, HS])) + data(b"ok"),
    "key_update_split_then_data": item(bytes([24, 0, HS])) + data(b"interleaved"),
    "key_update_bad_value": item(bytes([24, 0, 0, 1, 7, HS])),
    "key_update_bad_length": item(bytes([24, 0, 0, 2, 0, 0, HS])),
    "key_update_then_more": item(bytes([24, 0, 0, 1, 0, 24, 0, 0, 1, 0, HS])),
    "key_update_flood": KU_REQ * 40,
    "new_session_ticket": item(bytes([4, 0, 0, 5, 0, 0, 0, 0, 0, HS])),
    "empty_handshake": item(bytes([HS])),
    "close_notify": item(bytes([1, 0, ALERT])) + data(b"late"),
    "user_canceled": item(bytes([1, 90, ALERT])) + data(b"still"),
    "fatal_alert": item(bytes([2, 40, ALERT])),
    "alert_too_long": item(bytes([1, 0, 0, ALERT])),
    "inner_ccs": item(bytes([1, 20])),
    "inner_unknown_type": item(bytes([1, 99])),
}

RAW = {
    "raw_ccs": bytes([20, 3, 3, 0, 1, 1]),
    "raw_oversized": bytes([23, 3, 3, 0x41, 0x01]) + bytes(64),
    "raw_short": bytes([23, 3, 3, 0, 4, 1, 2, 3, 4]),
    "raw_bad_tag": bytes([23, 3, 3, 0, 32]) + bytes(range(32)) + bytes([23, 3, 3, 0, 17]) + bytes(17),
    "raw_plain_alert": bytes([21, 3, 3, 0, 2, 2, 40]),
    "raw_partial": bytes([23, 3, 3, 0x40]),
}

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus")
shutil.rmtree(out, ignore_errors=True)
os.makedirs(out)
for name, body in SEALED.items():
    for suite in range(3):
        with open(os.path.join(out, f"{name}_s{suite}"), "wb") as f:
            f.write(bytes([suite]) + body)
for name, body in RAW.items():
    for mode in (4, 4 | (1 << 3), 4 | 2 | (31 << 3)):
        with open(os.path.join(out, f"{name}_m{mode}"), "wb") as f:
            f.write(bytes([mode]) + body)
