#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
# Writes the seed corpus of fuzz_xml: stanza bodies (the target wraps them in
# a stream header), whole streams, and inputs that must be refused. Run from
# this folder: ./gen_corpus.py (it rewrites corpus/).
import os
import shutil

HDR = ("<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
       "xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>")

SEEDS = {
    "msg_chat": "<message type='chat' to='romeo@example.net' id='m1'><body>hi</body></message>",
    "msg_entities": "<message id='a&amp;b'><body>&lt;3 &#x1F600; &#65; &quot;&apos;&gt;</body></message>",
    "msg_utf8": "<message to='r\u00e9my@ex.net'><body>\u65e5\u672c\u8a9e \U0001F339 \u00c0</body></message>",
    "msg_receipt": "<message id='x'><body>b</body><request xmlns='urn:xmpp:receipts'/></message>",
    "msg_cdata": "<message><body><![CDATA[<raw> & ]] stuff]]></body></message>",
    "presence": "<presence/>",
    "presence_caps": "<presence><show>away</show><c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v='/></presence>",
    "iq_roster": "<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>",
    "iq_bind": "<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
    "iq_prefixed": "<iq type='set' id='p'><p:query xmlns:p='urn:x'><p:item p:k='v'/></p:query></iq>",
    "iq_ping": "<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
    "auth": "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>",
    "starttls": "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    "sm": "<enable xmlns='urn:xmpp:sm:3' resume='true'/><r xmlns='urn:xmpp:sm:3'/><a xmlns='urn:xmpp:sm:3' h='3'/>",
    "features": "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    "keepalive": " \n \t ",
    "many": "<presence/>\n<message><body>a</body></message> <iq type='result' id='1'/>",
    "deep": "<message><a><b><c><d><e>x</e></d></c></b></a></message>",
    "xmlns_empty": "<message><x xmlns=''><y/></x></message>",
    "attr_ws": "<message id = \"q\"\tto\n=\r'x' ><body >x</body\n></message >",
    "gt_brackets": "<message id='a>b]]>'><body>a > b ]] ] >]</body></message>",
    "nonascii_name": "<caf\u00e9 xmlns='urn:x'><\u65e5 \u00e9t\u00e9='1'/></caf\u00e9>",
    "bad_comment": "<message><!-- c --></message>",
    "bad_pi": "<message><?pi x?></message>",
    "bad_doctype": "<!DOCTYPE x [<!ENTITY e 'v'>]>",
    "bad_entity": "<message>&nbsp;</message>",
    "bad_mismatch": "<message><a></b></message>",
    "bad_dup": "<message id='1' id='2'/>",
    "bad_unbound": "<p:message/>",
    "bad_lt_attr": "<message id='<'/>",
    "bad_charref": "<message>&#xD800;&#0;</message>",
    "bad_text_stream": "hello<presence/>",
    "bad_cdata_end": "<message>]]></message>",
    "ns_same_local_other_ns": "<message xmlns:p='urn:x' xmlns:q='urn:y' p:a='1' q:a='2' a='3'/>",
    "bad_dup_by_namespace": "<message xmlns:p='urn:x' xmlns:q='urn:&#x78;' p:a='1' q:a='2'/>",
    "bad_reserved_ns": "<message xmlns='http://www.w3.org/2000/xmlns/'/>",
    "bad_reserved_prefix_ns": "<m xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
    # issue 14: a stanza must declare its own prefixes; qualified addresses
    "bad_stream_prefix_child": "<message to='b@d'><stream:x/></message>",
    "bad_stream_prefix_attr": "<message stream:a='1'><body>x</body></message>",
    "prefixed_addr": "<message xmlns:c='jabber:client' to='b@d' c:from='v@d/r'/>",
    # found by libFuzzer: a namespace name holding the oracle's separator
    "regress_ns_separator": "<stream:features><mechanisms xmlns='urn:ietf:params:|ml:ns:xmpp-sasl'>"
                            "<mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    # found by libFuzzer: '<' in an attribute value after 8 plain bytes
    "regress_lt_in_long_attr": "<enable xmlns='urn:xmpp:sm:3' resume='tru<mese'/><r xmlns='urn:xsage>"
                               "&#xD800;&#mpp:sm:3'/><a xmlns='urn:xmpp:sm:3' h='0;</message>3'/>",
}

RAW = {
    "raw_stream": HDR + "<presence/><message><body>x</body></message></stream:stream>",
    "raw_decl_enc": "<?xml version='1.0' encoding='UTF-8' standalone='no'?>" + HDR[21:],
    "raw_bad_enc": "<?xml version='1.0' encoding='ISO-8859-1'?>" + HDR[21:],
    "raw_bad_version": "<?xml version='1.1'?>" + HDR[21:],
    "raw_bom": "\ufeff" + HDR,
    "raw_bad_extra_prefix": "<stream:stream xmlns='jabber:client' xmlns:x='urn:a' "
              "xmlns:stream='http://etherx.jabber.org/streams'><message to='bob@d'><x:y/></message>",
    "raw_db": "<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' "
              "xmlns:stream='http://etherx.jabber.org/streams'><db:result to='a'>k</db:result>",
}

BYTES = {
    "bad_utf8_overlong": b"<message>\xc0\xaf\xe0\x80\xaf</message>",
    "bad_utf8_surrogate": b"<message>\xed\xa0\x80</message>",
    "bad_utf8_range": b"<message>\xf4\x90\x80\x80</message>",
    "bad_utf8_trunc": b"<message>\xe6\x97</message>",
    "bad_fffe": b"<message>\xef\xbf\xbe</message>",
    "bad_ctrl": b"<message>\x01\x00</message>",
}

def main():
    shutil.rmtree("corpus", ignore_errors=True)
    os.mkdir("corpus")
    for name, text in list(SEEDS.items()) + list(RAW.items()):
        with open(os.path.join("corpus", name), "wb") as f:
            f.write(text.encode("utf-8"))
    for name, data in BYTES.items():
        with open(os.path.join("corpus", name), "wb") as f:
            f.write(data)

main()
