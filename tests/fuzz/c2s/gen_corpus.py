#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed corpus of fuzz_c2s. Each file is: a flags byte (bit 0: the
# target logs in first, so the data starts at the restarted stream's header),
# a chunk-size byte (0: one chunk), then stream A's bytes. Seeds hold the
# triggers of issue 14's findings 2 and 3, stanzas that must be routed, and
# priorities. Run from this folder: ./gen_corpus.py (it rewrites corpus/).
import os
import shutil

SASL = "urn:ietf:params:xml:ns:xmpp-sasl"
OPEN = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>")
OPEN_X = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:x='urn:a' "
          "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>")
BIND = ("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
        "<resource>r</resource></bind></iq>")
AUTH = f"<auth xmlns='{SASL}' mechanism='PLAIN'>AGp1bGlldABzZWNyZXQ=</auth>"

# after the scripted login: the restarted stream from its header
BOUND = {
    "prefix_from_stream_header": OPEN_X + BIND + "<message to='bob@example.com'><x:y/></message>",
    "prefix_attr_from_stream_header": OPEN_X + BIND +
        "<message to='bob@example.com'><body x:a='1'>hi</body></message>",
    "stream_prefix_child": OPEN + BIND + "<message to='bob@example.com'><stream:y/></message>",
    "prefixed_from": OPEN + BIND + "<message xmlns:c='jabber:client' to='bob@example.com' "
        "c:from='victim@example.com/r'><body>x</body></message>",
    "prefixed_to_id_type": OPEN + BIND +
        "<message xmlns:c='urn:x' to='bob@example.com' c:to='eve@example.com'/>"
        "<iq xmlns:c='jabber:client' to='bob@example.com' type='get' id='1' c:id='2'>"
        "<q xmlns='urn:q'/></iq><presence xmlns:c='jabber:client' c:type='unavailable'/>",
    "duplicate_from": OPEN + BIND +
        "<message to='bob@example.com' from='a@example.com' from='v@example.com'/>",
    "own_declarations": OPEN_X + BIND + "<message to='bob@example.com' type='chat' id='m1'>"
        "<x:y xmlns:x='urn:b'><x:z x:k='v'/></x:y><body xml:lang='en'>hi</body></message>",
    "prefixed_stanza": OPEN + BIND + "<c:message xmlns:c='jabber:client' to='bob@example.com'>"
        "<c:body>hi</c:body></c:message>",
    "chat": OPEN + BIND + "<message to='bob@example.com' from='evil@x' type='chat' id=\"m'1\">"
        "<body>hi &lt;3 &#x1F600;</body><request xmlns='urn:xmpp:receipts'/></message>"
        "<message to='bob@example.com/r'><body><![CDATA[<raw> & ]]></body></message>",
    "iq_routed": OPEN + BIND + "<iq type='get' id='q1' to='bob@example.com/r'>"
        "<query xmlns='jabber:iq:version'/></iq><iq type='result' id='q2' to='bob@example.com'/>"
        "<iq type='get' id='p' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>",
    "presence_priority": OPEN + BIND + "<presence><show>away</show><priority> -5 </priority>"
        "</presence><presence><priority>128</priority></presence>"
        "<presence><priority>1</priority><priority>2</priority></presence>"
        "<presence to='bob@example.com' type='subscribe'/><presence type='unavailable'/>",
    "nested_payload": OPEN + BIND + "<message to='bob@example.com'><a xmlns='urn:a'>"
        "<b xmlns:p='urn:p' p:c='1'><p:d/></b><p:e xmlns:p='urn:q'/></a></message>",
    "ns_name_odd_chars": OPEN + BIND + "<message xmlns:c='jabber:amp|le.com/r' to='bob@example.com'>"
        "<c:b xmlns:d='a&#x7C;b&#10;c'>x</c:b></message>",
    "close": OPEN + BIND + "<message to='bob@example.com'/></stream:stream>",
}

# from the first byte: the whole transcript is the fuzzer's
RAW = {
    "raw_login_chat": OPEN + AUTH + OPEN + BIND +
        "<message to='bob@example.com'><body>hi</body></message></stream:stream>",
    "raw_login_prefix": OPEN + AUTH + OPEN_X + BIND +
        "<message to='bob@example.com'><x:y/></message>",
    "raw_scram": OPEN + f"<auth xmlns='{SASL}' mechanism='SCRAM-SHA-1'>"
        "biwsbj1qdWxpZXQscj1hYmNkZWY=</auth>"
        f"<response xmlns='{SASL}'>Yz1iaXdzLHI9YWJj</response>",
    "raw_bad_header": "<stream:stream xmlns='jabber:server' "
        "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>",
}

# TLS policy in the flags byte (bits 1-2: 1 optional, 2 required; bit 3:
# no PLAIN without TLS): STARTTLS, the new stream, then a login
STARTTLS = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
TLS = {
    "tls_optional_starttls_login": (2, OPEN + STARTTLS + OPEN + AUTH + OPEN + BIND +
        "<message to='bob@example.com'><body>over tls</body></message>"),
    "tls_required_skips_starttls": (4, OPEN + AUTH),
    "tls_required_starttls_twice": (4 | 8, OPEN + STARTTLS + OPEN + STARTTLS),
    "tls_off_starttls": (0, OPEN + STARTTLS),
    "tls_plain_refused_then_starttls": (2 | 8, OPEN + AUTH + STARTTLS + OPEN + AUTH + OPEN + BIND),
    # XEP-0077 (bit 4): the form, a registration, then a login on the stream
    "register_then_login": (16, OPEN + "<iq type='get' id='g'><query xmlns='jabber:iq:register'/>"
        "</iq><iq type='set' id='s'><query xmlns='jabber:iq:register'><username>Juliet</username>"
        "<password>s&amp;x</password><key>k</key></query></iq>" + AUTH + OPEN + BIND),
    "register_bound_passwd_remove": (16 | 1, OPEN + BIND +
        "<iq type='set' id='p'><query xmlns='jabber:iq:register'><username>juliet</username>"
        "<password>new</password></query></iq>"
        "<iq type='set' id='r'><query xmlns='jabber:iq:register'><remove/></query></iq>"),
}

CHUNKS = {"": 0, "_c1": 1, "_c7": 7, "_c61": 61}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "corpus")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for table, flags in ((BOUND, 1), (RAW, 0)):
        for name, text in table.items():
            for suffix, chunk in CHUNKS.items():
                if suffix and name not in ("prefix_from_stream_header", "prefixed_from",
                                           "chat", "raw_login_prefix", "presence_priority"):
                    continue
                with open(os.path.join(out, name + suffix), "wb") as f:
                    f.write(bytes([flags, chunk]) + text.encode())
    for name, (flags, text) in TLS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(bytes([flags, 0]) + text.encode())


if __name__ == "__main__":
    main()
