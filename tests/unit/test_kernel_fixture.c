// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * lib/crypto.c, include/xmptcp/seq.h and the option codec against a capture
 * of two real Linux MPTCP peers (tests/fixtures/kernel-mptcp-handshake.*,
 * made by capture-kernel-handshake.sh). The keys come off the wire through
 * our codec; the tokens and 64-bit sequence numbers they must produce come
 * from the kernel itself (MPTCP_INFO), and the join and ADD_ADDR HMACs and
 * the DSS checksums in the capture were computed by the kernel.
 *
 * Checked, per connection:
 *  - token(key) equals the token the kernel reports, for both ends;
 *  - the third ACK echoes both keys and the checksum flag of the SYN-ACK;
 *  - every data mapping's DSN places its payload at the right offset of the
 *    byte stream the application sent, counted from IDSN + 1 (RFC 8684 §3.3:
 *    the first data byte has DSN IDSN + 1, the SYN taking IDSN itself); the
 *    implicit mapping of MP_CAPABLE-with-data is IDSN + 1 at subflow seq 1;
 *  - DATA_ACKs, expanded with xm_seq_expand_opt(), lie inside the stream;
 *  - the kernel's write_seq equals IDSN + 1 + bytes sent;
 *  - DSS checksums, ADD_ADDR HMACs and MP_JOIN HMACs equal ours.
 * Minimum counts make sure none of these passes vacuously.
 *
 * XM_KERNEL_FIXTURE_DIR overrides the fixture directory, to check a freshly
 * captured (or deliberately corrupted) fixture before committing it.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmptcp/mptcp_opt.h>
#include <xmptcp/seq.h>
#include "crypto.h"

#define MAX_CONNS    4
#define MAX_SUBFLOWS 8

/* What the applications in capture-kernel-handshake.sh send. */
static const char client_stream[] = "hello xmptcp\nbye\n";
static const char server_stream[] = "pong\n";

struct conn {
	/* From the .txt: the kernel's view. */
	uint16_t port; /* client port of the initial subflow */
	int csum;      /* checksums were required on this connection */
	uint32_t client_token, server_token;
	uint64_t client_write_seq, server_write_seq;
	uint64_t client_snd_una, server_snd_una;
	/* From the pcap, through the codec. */
	int have_client_key, have_server_key;
	uint64_t client_key, server_key;
	uint8_t synack_flags;
	int seen_syn, seen_synack, seen_third_ack;
	uint8_t syn_flags;
	/* Counters of what was checked. */
	int data_mappings, data_fins, data_acks, csums, mpc_csums, add_addrs, add_addr_ports;
	int joins;
};

struct subflow {
	struct conn *c;
	uint16_t cport, sport;
	uint32_t nonce_a, nonce_b;
	int have_b;
};

struct fixture {
	char dir[512];
	uint32_t client_addr; /* network order */
	uint16_t server_port;
	int n_conns;
	struct conn conns[MAX_CONNS];
	int n_subflows;
	struct subflow sf[MAX_SUBFLOWS];
	int packets;
};

static uint64_t get_hex_field(const char *line, const char *key, int required)
{
	const char *p = strstr(line, key);

	if (!p) {
		if (required)
			fail_msg("fixture line has no %s: %s", key, line);
		return 0;
	}
	return strtoull(p + strlen(key), NULL, 0);
}

static void load_txt(struct fixture *fx)
{
	char path[600], line[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/kernel-mptcp-handshake.txt", fx->dir);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s (run tests/fixtures/capture-kernel-handshake.sh)", path);
	while (fgets(line, sizeof(line), f)) {
		struct conn *c;

		if (!strncmp(line, "client_addr=", 12)) {
			line[strcspn(line, "\n")] = 0;
			assert_int_equal(inet_pton(AF_INET, line + 12, &fx->client_addr), 1);
		} else if (!strncmp(line, "server_port=", 12)) {
			fx->server_port = (uint16_t)atoi(line + 12);
		} else if (!strncmp(line, "conn ", 5)) {
			assert_true(fx->n_conns < MAX_CONNS);
			c = &fx->conns[fx->n_conns++];
			c->port = (uint16_t)get_hex_field(line, "port=", 1);
			c->csum = (int)get_hex_field(line, "checksum=", 1);
			c->client_token = (uint32_t)get_hex_field(line, "client_token=", 1);
			c->server_token = (uint32_t)get_hex_field(line, "server_token=", 1);
			c->client_write_seq = get_hex_field(line, "client_write_seq=", 1);
			c->server_write_seq = get_hex_field(line, "server_write_seq=", 1);
			c->client_snd_una = get_hex_field(line, "client_snd_una=", 1);
			c->server_snd_una = get_hex_field(line, "server_snd_una=", 1);
		}
	}
	fclose(f);
	assert_true(fx->n_conns >= 3);
	assert_int_not_equal(fx->client_addr, 0);
	assert_int_not_equal(fx->server_port, 0);
}

/* One TCP segment out of the capture. */
struct seg {
	int from_client;
	uint16_t cport, sport; /* client / server port */
	uint8_t flags;	       /* TCP flags byte */
	struct xm_optbuf ob;
	const uint8_t *payload;
	uint32_t plen;
};

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_ACK 0x10

static struct conn *conn_by_port(struct fixture *fx, uint16_t cport, uint16_t sport)
{
	for (int i = 0; i < fx->n_conns; i++)
		if (fx->conns[i].port == cport && sport == fx->server_port)
			return &fx->conns[i];
	for (int i = 0; i < fx->n_subflows; i++)
		if (fx->sf[i].cport == cport && fx->sf[i].sport == sport)
			return fx->sf[i].c;
	return NULL;
}

static struct subflow *subflow_by_port(struct fixture *fx, uint16_t cport, uint16_t sport)
{
	for (int i = 0; i < fx->n_subflows; i++)
		if (fx->sf[i].cport == cport && fx->sf[i].sport == sport)
			return &fx->sf[i];
	return NULL;
}

static void check_mpc(struct fixture *fx, struct conn *c, const struct seg *s,
		      const struct xm_opt_mp_capable *o)
{
	int syn = s->flags & TH_SYN, ack = s->flags & TH_ACK;

	if (syn && !ack) {
		assert_true(s->from_client);
		assert_false(o->has_sender_key);
		c->seen_syn = 1;
		c->syn_flags = o->flags;
		/* Checksums were required exactly on the connection made so. */
		assert_int_equal(!!(o->flags & XM_MPC_FLAG_A), c->csum);
		return;
	}
	if (syn && ack) {
		assert_false(s->from_client);
		assert_true(o->has_sender_key);
		assert_false(o->has_receiver_key);
		c->seen_synack = 1;
		c->synack_flags = o->flags;
		c->server_key = o->sender_key;
		c->have_server_key = 1;
		assert_int_equal(!!(o->flags & XM_MPC_FLAG_A), c->csum);
		/* The kernel's own token for the listener side. */
		assert_int_equal(xm_mptcp_token(c->server_key), c->server_token);
		return;
	}
	/* Third ACK, or the first data segments carrying MP_CAPABLE. */
	assert_true(s->from_client);
	assert_true(c->seen_synack);
	assert_true(o->has_sender_key);
	assert_true(o->has_receiver_key);
	/* The client echoes the server's key and the checksum flag. */
	assert_int_equal(o->receiver_key, c->server_key);
	assert_int_equal(o->flags & XM_MPC_FLAG_A, c->synack_flags & XM_MPC_FLAG_A);
	if (c->have_client_key) {
		assert_int_equal(o->sender_key, c->client_key);
	} else {
		c->client_key = o->sender_key;
		c->have_client_key = 1;
		assert_int_equal(xm_mptcp_token(c->client_key), c->client_token);
	}
	if (!o->has_data_len) {
		assert_int_equal(s->plen, 0);
		c->seen_third_ack = 1;
		return;
	}
	/* MP_CAPABLE with data: the mapping is implicit, DSN IDSN + 1 at
	 * relative subflow sequence 1 (RFC 8684 §3.1, as Linux does). */
	assert_int_equal(o->data_len, s->plen);
	assert_true(s->plen <= sizeof(client_stream) - 1);
	assert_memory_equal(s->payload, client_stream, s->plen);
	c->data_mappings++;
	assert_int_equal(o->has_csum, c->csum);
	if (o->has_csum) {
		uint16_t want;

		assert_int_equal(xm_dss_csum(xm_mptcp_idsn(c->client_key) + 1, 1, o->data_len,
					     s->payload, s->plen, &want),
				 0);
		assert_int_equal(o->csum, want);
		c->csums++;
		c->mpc_csums++;
	}
}

static void check_dss(struct conn *c, const struct seg *s, const struct xm_opt_dss *o)
{
	/* The stream this side sends, and the one its DATA_ACK acknowledges. */
	const char *out = s->from_client ? client_stream : server_stream;
	size_t out_len = strlen(out);
	size_t in_len = strlen(s->from_client ? server_stream : client_stream);
	uint64_t out_base, in_base, dsn, off;
	uint32_t mapped;

	assert_true(c->have_client_key && c->have_server_key);
	out_base = xm_mptcp_idsn(s->from_client ? c->client_key : c->server_key) + 1;
	in_base = xm_mptcp_idsn(s->from_client ? c->server_key : c->client_key) + 1;

	if (o->flags & XM_DSS_FLAG_A) {
		uint64_t ack = xm_seq_expand_opt(in_base, o->data_ack, o->flags & XM_DSS_FLAG_a);

		/* Between nothing and everything acked, the DATA_FIN included. */
		assert_true(ack - in_base <= in_len + 1);
		c->data_acks++;
	}
	if (!(o->flags & XM_DSS_FLAG_M))
		return;

	dsn = xm_seq_expand_opt(out_base, o->dsn, o->flags & XM_DSS_FLAG_m);
	off = dsn - out_base;
	mapped = o->data_len;

	if (o->flags & XM_DSS_FLAG_F) {
		/* The DATA_FIN takes one sequence number after the data. */
		assert_true(mapped >= 1);
		mapped--;
		assert_int_equal(off + mapped, out_len);
		c->data_fins++;
	}
	if (mapped) {
		/* Single-segment mappings here: small writes, no TSO on veth. */
		assert_int_equal(mapped, s->plen);
		assert_true(off + s->plen <= out_len);
		assert_memory_equal(s->payload, out + off, s->plen);
		c->data_mappings++;
	} else {
		assert_int_equal(s->plen, 0);
	}
	assert_int_equal(o->has_csum, c->csum);
	if (o->has_csum) {
		uint16_t want;

		/* The pseudo-header always has the 64-bit DSN (§3.3.1). */
		assert_int_equal(xm_dss_csum(dsn, o->ssn, o->data_len, s->payload, s->plen, &want),
				 0);
		assert_int_equal(o->csum, want);
		c->csums++;
	}
}

static void check_add_addr(struct conn *c, const struct seg *s, const struct xm_opt_add_addr *o)
{
	uint64_t want;

	if (o->echo) {
		/* The echo comes back from the client and carries no HMAC. */
		assert_true(s->from_client);
		assert_false(o->has_hmac);
		return;
	}
	assert_false(s->from_client);
	assert_true(o->has_hmac);
	assert_int_equal(o->ip_ver, 4);
	/* Key = sender (server) || receiver (client); port hashed if absent. */
	assert_int_equal(xm_mptcp_add_addr_hmac(c->server_key, c->client_key, o->addr_id, 4,
						o->addr, o->has_port ? o->port : 0, &want),
			 0);
	assert_int_equal(o->hmac, want);
	c->add_addrs++;
	if (o->has_port)
		c->add_addr_ports++;
}

static void check_join(struct fixture *fx, const struct seg *s, const struct xm_opt_mp_join *o)
{
	struct subflow *sf = subflow_by_port(fx, s->cport, s->sport);

	switch (o->kind_of) {
	case XM_MPJ_SYN:
		assert_true(s->from_client);
		assert_null(sf);
		assert_true(fx->n_subflows < MAX_SUBFLOWS);
		sf = &fx->sf[fx->n_subflows];
		/* The join names its connection by the peer's (server's) token. */
		for (int i = 0; i < fx->n_conns; i++)
			if (fx->conns[i].server_token == o->token)
				sf->c = &fx->conns[i];
		if (!sf->c)
			fail_msg("MP_JOIN SYN token 0x%08x matches no connection", o->token);
		assert_int_equal(xm_mptcp_token(sf->c->server_key), o->token);
		sf->cport = s->cport;
		sf->sport = s->sport;
		sf->nonce_a = o->nonce;
		fx->n_subflows++;
		break;
	case XM_MPJ_SYNACK: {
		assert_false(s->from_client);
		assert_non_null(sf);
		sf->nonce_b = o->nonce;
		sf->have_b = 1;
		/* B (server) sends HMAC(Key-B||Key-A, R-B||R-A), leftmost 64. */
		assert_int_equal(o->hmac64,
				 xm_mptcp_join_synack_hmac(sf->c->server_key, sf->c->client_key,
							   sf->nonce_b, sf->nonce_a));
		break;
	}
	case XM_MPJ_ACK: {
		uint8_t want[XM_MPJ_ACK_HMAC_LEN];

		assert_true(s->from_client);
		assert_non_null(sf);
		assert_true(sf->have_b);
		/* A (client) sends HMAC(Key-A||Key-B, R-A||R-B), leftmost 160. */
		assert_int_equal(xm_mptcp_join_ack_hmac(sf->c->client_key, sf->c->server_key,
							sf->nonce_a, sf->nonce_b, want),
				 0);
		assert_memory_equal(o->hmac, want, sizeof(want));
		sf->c->joins++;
		break;
	}
	default:
		fail_msg("MP_JOIN of unknown shape %u", o->kind_of);
	}
}

static void check_segment(struct fixture *fx, struct seg *s)
{
	struct conn *c = NULL;
	__u32 off = 0;
	__u8 kind, len;

	for (int i = 0; i < XM_TCPOPT_WALK_MAX; i++) {
		struct xm_mptcp_opt opt;
		int r = xm_tcpopt_next(&s->ob, off, &kind, &len);

		assert_true(r >= 0);
		if ((__u32)r >= s->ob.len)
			return;
		off = (__u32)r + len;
		if (kind != XM_TCPOPT_MPTCP)
			continue;
		r = xm_mptcp_opt_parse(&s->ob, (__u32)r, &opt);
		assert_int_equal(r, len);

		if (opt.subtype == XM_MPTCP_MP_JOIN) {
			check_join(fx, s, &opt.join);
			continue;
		}
		if (!c)
			c = conn_by_port(fx, s->cport, s->sport);
		if (!c)
			fail_msg("MPTCP option on unknown subflow %u -> %u", s->cport, s->sport);
		switch (opt.subtype) {
		case XM_MPTCP_MP_CAPABLE:
			check_mpc(fx, c, s, &opt.mpc);
			break;
		case XM_MPTCP_DSS:
			check_dss(c, s, &opt.dss);
			break;
		case XM_MPTCP_ADD_ADDR:
			check_add_addr(c, s, &opt.add_addr);
			break;
		default:
			break;
		}
	}
	fail_msg("options area did not end within %d options", XM_TCPOPT_WALK_MAX);
}

static uint32_t rd32(const uint8_t *p, int swap)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return swap ? __builtin_bswap32(v) : v;
}

/* A tiny pcap reader: classic pcap, Ethernet, IPv4, TCP. */
static void walk_pcap(struct fixture *fx)
{
	char path[600];
	uint8_t gh[24], rh[16], pkt[65536];
	int swap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kernel-mptcp-handshake.pcap", fx->dir);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fread(gh, 1, sizeof(gh), f), sizeof(gh));
	/* Microsecond or nanosecond magic, in either byte order. */
	if (rd32(gh, 0) == 0xa1b2c3d4 || rd32(gh, 0) == 0xa1b23c4d)
		swap = 0;
	else if (rd32(gh, 1) == 0xa1b2c3d4 || rd32(gh, 1) == 0xa1b23c4d)
		swap = 1;
	else
		fail_msg("%s is not a classic pcap file (magic 0x%08x)", path, rd32(gh, 0));
	assert_int_equal(rd32(gh + 20, swap), 1); /* LINKTYPE_ETHERNET */

	while (fread(rh, 1, sizeof(rh), f) == sizeof(rh)) {
		uint32_t caplen = rd32(rh + 8, swap);
		const uint8_t *ip, *th;
		uint32_t ihl, tot, doff, olen;
		struct seg s;

		assert_true(caplen <= sizeof(pkt));
		assert_int_equal(fread(pkt, 1, caplen, f), caplen);
		fx->packets++;
		if (caplen < 14 + 20 || pkt[12] != 0x08 || pkt[13] != 0x00)
			continue;
		ip = pkt + 14;
		ihl = (ip[0] & 0x0f) * 4u;
		tot = (uint32_t)ip[2] << 8 | ip[3];
		if ((ip[0] >> 4) != 4 || ip[9] != 6 || caplen < 14 + ihl + 20)
			continue;
		/* The capture must hold whole packets: payloads are checksummed. */
		if (caplen < 14 + tot)
			fail_msg("packet %d truncated (%u of %u bytes): recapture with a larger "
				 "snaplen",
				 fx->packets, caplen, 14 + tot);
		th = ip + ihl;
		doff = (th[12] >> 4) * 4u;
		assert_true(doff >= 20 && ihl + doff <= tot);
		olen = doff - 20;
		assert_true(olen <= XM_TCP_OPTS_MAX);

		memset(&s, 0, sizeof(s));
		s.from_client = !memcmp(ip + 12, &fx->client_addr, 4);
		if (s.from_client) {
			s.cport = (uint16_t)(th[0] << 8 | th[1]);
			s.sport = (uint16_t)(th[2] << 8 | th[3]);
		} else {
			s.sport = (uint16_t)(th[0] << 8 | th[1]);
			s.cport = (uint16_t)(th[2] << 8 | th[3]);
		}
		s.flags = th[13];
		memcpy(s.ob.b, th + 20, olen);
		s.ob.len = olen;
		s.payload = th + doff;
		s.plen = tot - ihl - doff;
		check_segment(fx, &s);
	}
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	const char *dir = getenv("XM_KERNEL_FIXTURE_DIR");

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "%s", dir && *dir ? dir : XM_FIXTURES_DIR);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_kernel_capture(void **state)
{
	struct fixture *fx = *state;
	int csums = 0, mpc_csums = 0, add_addrs = 0, ports = 0, joins = 0;

	load_txt(fx);
	walk_pcap(fx);
	assert_true(fx->packets > 0);

	for (int i = 0; i < fx->n_conns; i++) {
		struct conn *c = &fx->conns[i];
		uint64_t idsn_c, idsn_s;

		/* Every connection was seen whole, and the tokens were checked. */
		assert_true(c->seen_syn && c->seen_synack && c->seen_third_ack);
		assert_true(c->have_client_key && c->have_server_key);
		assert_int_equal(xm_mptcp_token(c->client_key), c->client_token);
		assert_int_equal(xm_mptcp_token(c->server_key), c->server_token);

		/* MPTCP_INFO write_seq is the next DSN to send: IDSN + 1 +
		 * bytes written (read before close, so no DATA_FIN yet). */
		idsn_c = xm_mptcp_idsn(c->client_key);
		idsn_s = xm_mptcp_idsn(c->server_key);
		assert_int_equal(c->client_write_seq, idsn_c + 1 + strlen(client_stream));
		assert_int_equal(c->server_write_seq, idsn_s + 1 + strlen(server_stream));
		assert_int_equal(c->client_snd_una, c->client_write_seq);
		assert_int_equal(c->server_snd_una, c->server_write_seq);

		/* Each side's writes (client 2, server 1) and DATA_FINs. */
		assert_true(c->data_mappings >= 3);
		assert_true(c->data_fins >= 2);
		assert_true(c->data_acks >= 4);
		print_message("conn port %u: client token 0x%08x server token 0x%08x, %d data "
			      "mappings, %d DATA_FINs, %d DATA_ACKs, %d checksums (%d in "
			      "MP_CAPABLE), %d ADD_ADDRs, %d joins\n",
			      c->port, c->client_token, c->server_token, c->data_mappings,
			      c->data_fins, c->data_acks, c->csums, c->mpc_csums, c->add_addrs,
			      c->joins);
		csums += c->csums;
		mpc_csums += c->mpc_csums;
		add_addrs += c->add_addrs;
		ports += c->add_addr_ports;
		joins += c->joins;
	}
	/* Connections 2 and 3: checksums, also in MP_CAPABLE with data;
	 * connection 3: two ADD_ADDRs, with and without port, two joins. */
	assert_true(csums >= 10);
	assert_true(mpc_csums >= 1);
	assert_true(add_addrs >= 2);
	assert_true(ports >= 1);
	assert_true(add_addrs - ports >= 1);
	assert_true(joins >= 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kernel_capture, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
