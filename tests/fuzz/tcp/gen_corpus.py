#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed corpus of fuzz-tcp: IPv4 packets carrying TCP segments aimed
# at the fuzz target's fixed connection (ours from 1001, the peer's from 5001,
# [5101, 5201) held out of order), plus malformed shapes. Run from this folder:
#   /usr/bin/python3 gen_corpus.py
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'corpus')
FIN, SYN, RST, PSH, ACK = 1, 2, 4, 8, 16


def opts(mss=None, ws=None, sackok=False, ts=None, sack=()):
    b = b''
    if mss is not None:
        b += struct.pack('!BBH', 2, 4, mss)
    if sackok:
        b += bytes([4, 2])
    if ts is not None:
        b += bytes([1, 1]) if not sackok else b''
        b += struct.pack('!BBII', 8, 10, ts[0], ts[1])
    if ws is not None:
        b += bytes([1, 3, 3, ws])
    if sack:
        b += bytes([1, 1, 5, 2 + 8 * len(sack)])
        for s, e in sack:
            b += struct.pack('!II', s, e)
    while len(b) % 4:
        b += b'\x00'
    return b


def tcp(seq, ack, flags, wnd=4000, o=b'', data=b'', doff=None):
    if doff is None:
        doff = (20 + len(o)) // 4
    h = struct.pack('!HHIIBBHHH', 3, 4, seq & 0xffffffff, ack & 0xffffffff, doff << 4, flags,
                    wnd, 0, 0)
    return h + o + data


def ipv4(seg, tos=0, tot=None, gap_ms=1, frag=0):
    # the fuzz target reads the IP ID as the milliseconds to wait before this segment
    if tot is None:
        tot = 20 + len(seg)
    # and the fragment field's low byte as an ICMP frag-needed MTU (500 + 8 * it)
    return struct.pack('!BBHHHBBH4s4s', 0x45, tos, tot, gap_ms, frag, 64, 6, 0,
                       bytes([10, 0, 0, 2]), bytes([10, 0, 0, 1])) + seg


TS = (200, 5000)
seeds = {
    'syn_plain': tcp(9000, 0, SYN),
    'syn_all_opts': tcp(9000, 0, SYN, o=opts(1460, 7, True, (1, 0))),
    'syn_tiny_mss': tcp(9000, 0, SYN, o=opts(mss=8)),
    'syn_ws_20': tcp(9000, 0, SYN, o=opts(ws=20, ts=(1, 0))),
    'ack_cookie_guess': tcp(9001, 0x12345679, ACK),
    'data_fills_hole': tcp(5001, 1001, ACK | PSH, o=opts(ts=TS), data=b'x' * 100),
    'data_in_order_big': tcp(5001, 1001, ACK, o=opts(ts=TS), data=b'y' * 1400),
    'data_ooo_far': tcp(8001, 1001, ACK, o=opts(ts=TS), data=b'z' * 50),
    'data_overlap_ooo': tcp(5050, 1001, ACK, o=opts(ts=TS), data=b'o' * 300),
    'data_beyond_window': tcp(5001 + 70000, 1001, ACK, o=opts(ts=TS), data=b'w' * 10),
    'data_old': tcp(4000, 1001, ACK, o=opts(ts=TS), data=b'd' * 10),
    'ack_some': tcp(5001, 3001, ACK, o=opts(ts=TS)),
    'ack_all': tcp(5001, 1001 + 4000, ACK, wnd=65535, o=opts(ts=TS)),
    'dupack_sack': tcp(5001, 1001, ACK, o=opts(ts=TS, sack=((2001, 3001),))),
    'dupack_sack4': tcp(5001, 1001, ACK, o=opts(sack=((1501, 2001), (2501, 3001), (3501, 4001),
                                                       (4501, 5001)))),
    'sack_bogus': tcp(5001, 1001, ACK, o=opts(ts=TS, sack=((9, 5), (99999, 100000)))),
    'ack_unsent': tcp(5001, 90000, ACK, o=opts(ts=TS)),
    'ack_too_old': tcp(5001, 0x80000000, ACK, o=opts(ts=TS)),
    'zero_window': tcp(5001, 1001, ACK, wnd=0, o=opts(ts=TS)),
    'window_update': tcp(5002, 1001, ACK, wnd=65535, o=opts(ts=TS)),
    'rst_exact': tcp(5001, 0, RST),
    'rst_in_window': tcp(5500, 0, RST),
    'rst_out_of_window': tcp(900000, 0, RST),
    'rst_ack': tcp(5001, 1001, RST | ACK),
    'syn_in_window': tcp(5001, 0, SYN),
    'syn_ack_dup': tcp(5000, 1001, SYN | ACK, o=opts(1460, 2, True, (100, 1))),
    'fin_in_order': tcp(5001, 1001, FIN | ACK, o=opts(ts=TS)),
    'fin_with_data': tcp(5001, 1001, FIN | ACK | PSH, o=opts(ts=TS), data=b'f' * 100),
    'fin_after_ooo': tcp(5201, 1001, FIN | ACK, o=opts(ts=TS)),
    'paws_old': tcp(5001, 1001, ACK, o=opts(ts=(50, 1)), data=b'p' * 10),
    'no_ack_flag': tcp(5001, 0, PSH, data=b'n' * 10),
    'bad_doff_small': tcp(5001, 1001, ACK, doff=4),
    'bad_doff_big': tcp(5001, 1001, ACK, doff=15),
    'bad_opt_len0': tcp(5001, 1001, ACK, o=bytes([2, 0, 0, 0])),
    'bad_opt_overrun': tcp(5001, 1001, ACK, o=bytes([8, 10, 0, 0])),
    'bad_syn_fin': tcp(9000, 0, SYN | FIN),
    'unknown_opt': tcp(5001, 1001, ACK, o=bytes([99, 4, 0, 0, 1, 1, 1, 0]), data=b'u'),
}

os.makedirs(OUT, exist_ok=True)
for name, seg in seeds.items():
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(ipv4(seg))
# variants: TOS bit 0 = cookies on the listener, bit 1 = no SACK, bit 2 = segment twice
for name in ('syn_all_opts', 'ack_cookie_guess', 'dupack_sack', 'data_fills_hole',
             'fin_in_order', 'zero_window'):
    for tos in (1, 2, 4, 7):
        with open(os.path.join(OUT, '%s_tos%d' % (name, tos)), 'wb') as f:
            f.write(ipv4(seeds[name], tos=tos))
# sequences: several packets back to back, the IP ID giving the gap in ms
SYN_OPTS = opts(1460, 7, True, (1, 0))
sequences = {
    'seq_passive_handshake_data_fin': [
        ipv4(tcp(9000, 0, SYN, o=SYN_OPTS)),
        ipv4(tcp(9001, 778, ACK, o=opts(ts=(2, 1)))),
        ipv4(tcp(9001, 778, ACK | PSH, o=opts(ts=(3, 1)), data=b'a' * 200)),
        ipv4(tcp(9201, 778, FIN | ACK, o=opts(ts=(4, 1)))),
    ],
    'seq_fill_hole_then_fin': [
        ipv4(tcp(5001, 2001, ACK, o=opts(ts=TS), data=b'h' * 100)),
        ipv4(tcp(5201, 3001, FIN | ACK, o=opts(ts=TS))),
        ipv4(tcp(5202, 5001, ACK, o=opts(ts=TS)), gap_ms=300),
    ],
    'seq_dupacks_recovery': [
        ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS, sack=((2001, 3001),)))),
        ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS, sack=((2001, 4001),)))),
        ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS, sack=((2001, 4501),)))),
        ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS, sack=((2001, 5001),)))),
        ipv4(tcp(5001, 2001, ACK, o=opts(ts=TS, sack=((3001, 5001),)))),
        ipv4(tcp(5001, 5001, ACK, o=opts(ts=TS))),
    ],
    'seq_zero_window_then_open': [
        ipv4(tcp(5001, 5001, ACK, wnd=0, o=opts(ts=TS))),
        ipv4(tcp(5001, 5001, ACK, wnd=0, o=opts(ts=TS)), gap_ms=2000),
        ipv4(tcp(5001, 5002, ACK, wnd=1000, o=opts(ts=TS)), gap_ms=5000),
    ],
    'seq_rto_then_ack': [
        ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS)), gap_ms=5000),
        ipv4(tcp(5001, 3001, ACK, o=opts(ts=TS)), gap_ms=60000),
    ],
    'seq_close_to_time_wait': [
        ipv4(tcp(5001, 1001, FIN | ACK, o=opts(ts=TS))),
        ipv4(tcp(5002, 11002, ACK, o=opts(ts=TS))),
        ipv4(tcp(5001, 11002, FIN | ACK, o=opts(ts=TS)), gap_ms=1000),
        ipv4(tcp(9999999, 0, SYN, o=opts(ts=(100000, 0))), gap_ms=1000),
    ],
    'seq_challenge_then_rst': [
        ipv4(tcp(5500, 0, RST)),
        ipv4(tcp(5001, 0, RST)),
    ],
}
for name, pkts in sequences.items():
    for tos in (0, 1, 4):
        first = bytearray(pkts[0])
        first[1] = tos
        with open(os.path.join(OUT, '%s_tos%d' % (name, tos)), 'wb') as f:
            f.write(bytes(first) + b''.join(pkts[1:]))
with open(os.path.join(OUT, 'ip_truncated'), 'wb') as f:
    f.write(ipv4(seeds['syn_plain'], tot=200))
with open(os.path.join(OUT, 'ip_not_tcp'), 'wb') as f:
    f.write(ipv4(seeds['syn_plain'])[:9] + b'\x11' + ipv4(seeds['syn_plain'])[10:])
# ICMP fragmentation needed before the segment: lower (61: MTU 988), not
# lower (255: MTU 2540), below the floor (1: MTU 508)
for name in ('dupack_sack', 'data_fills_hole', 'fin_in_order'):
    for frag in (1, 61, 255):
        with open(os.path.join(OUT, '%s_pmtu%d' % (name, frag)), 'wb') as f:
            f.write(ipv4(seeds[name], frag=frag))
# Issue 14 triggers. Out-of-order flood: byte 5001 skipped, 48 one-byte
# segments at 5002..5049 (the share and the worker's cap refuse most), then
# the hole filled; also with the pool low (IP reserved flag, frag 0x8000) on
# every other segment, and with the application closing after the first
# segment (TOS bit 3).
flood = [ipv4(tcp(5002 + k, 1001, ACK, o=opts(ts=TS), data=b'x'), gap_ms=0) for k in range(48)]
fill = ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS), data=b'h'), gap_ms=0)
triggers = {
    'ooo_flood_48': flood + [fill],
    'ooo_flood_48_pool_low': [ipv4(tcp(5002 + k, 1001, ACK, o=opts(ts=TS), data=b'x'), gap_ms=0,
                                   frag=0x8000 if k % 2 else 0) for k in range(48)] + [fill],
    # TIME-WAIT: a FIN that is not the peer's FIN again must not restart
    # 2MSL. With TOS bit 3 we close after the first ACK (which opens the
    # window for the rest of our data), the peer ACKs data and FIN, sends
    # its FIN, then a stray FIN, then its FIN again.
    'tw_fin_stray': [
        ipv4(tcp(5001, 1001, ACK, o=opts(ts=TS))),
        ipv4(tcp(5001, 11002, ACK, wnd=8000, o=opts(ts=TS)), gap_ms=10),
        ipv4(tcp(5001, 11002, FIN | ACK, o=opts(ts=TS)), gap_ms=10),
        ipv4(tcp(7777, 11002, FIN | ACK, o=opts(ts=TS)), gap_ms=30000),
        ipv4(tcp(5001, 11002, FIN | ACK, o=opts(ts=TS)), gap_ms=20000),
    ],
    # an ACK at the listener with no cookie sent (TOS 1: cookies on)
    'cookie_ack_stray': [ipv4(tcp(9001, 0x00abcdef, ACK))],
    'cookie_ack_after_syn': [ipv4(tcp(9000, 0, SYN, o=SYN_OPTS)),
                             ipv4(tcp(9001, 0x00abcdef, ACK), gap_ms=65000)],
}
for name, pkts in triggers.items():
    for tos in (0, 1, 8, 9):
        first = bytearray(pkts[0])
        first[1] = tos
        with open(os.path.join(OUT, '%s_tos%d' % (name, tos)), 'wb') as f:
            f.write(bytes(first) + b''.join(pkts[1:]))
