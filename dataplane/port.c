/* SPDX-License-Identifier: BSD-3-Clause
 *
 * Port configuration. On a multi-queue port RSS spreads flows over the
 * worker queues; with one worker there is one queue and no RSS. The RSS key
 * is the symmetric Toeplitz key (0x6d5a repeated): with it the hash of
 * (src, dst, sport, dport) equals that of (dst, src, dport, sport), so both
 * directions of a flow land on the same queue (a connection we open and the
 * replies to it meet on one worker). ICMP errors are hashed by their own
 * outer header and may reach another worker than the connection's; that
 * worker counts them as ICMP_NO_CONN.
 */
#include <errno.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "log.h"
#include "port.h"

RTE_LOG_REGISTER(sb_logtype_port, sb.port, INFO);

#define PORT_RSS_KEY_DEFAULT 40 /* the Toeplitz key of most NICs; used when none is reported */

/* 0x6d5a repeated, as long as the device's key. Toeplitz hashing slides a
 * 32-bit window over the key: a key with a 16-bit period gives swapped
 * addresses and swapped ports the same hash. */
static uint8_t port_rss_key[UINT8_MAX];

static uint8_t port_rss_symmetric(const struct rte_eth_dev_info *info)
{
	uint8_t len = info->hash_key_size != 0 ? info->hash_key_size : PORT_RSS_KEY_DEFAULT;

	for (unsigned i = 0; i < len; i++)
		port_rss_key[i] = (i & 1) ? 0x5a : 0x6d;
	return len;
}

static void port_offloads(const struct rte_eth_dev_info *info, struct rte_eth_conf *conf)
{
	const uint64_t rx_want = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
	const uint64_t tx_want = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM;

	conf->rxmode.offloads = info->rx_offload_capa & rx_want;
	conf->txmode.offloads = info->tx_offload_capa & tx_want;
}

int sb_port_start(uint16_t port_id, uint16_t n_queues, struct rte_mempool *pool,
		  const struct sb_config *cfg, bool *ret_tx_csum)
{
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t rxd = (uint16_t)cfg->port0_rx_desc, txd = (uint16_t)cfg->port0_tx_desc;
	int rc;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_info_get(port_id, &info);
	if (rc != 0)
		goto fail;
	if (n_queues > info.max_rx_queues || n_queues > info.max_tx_queues) {
		SB_LOG(port, ERR, "port %u has %u/%u queues, %u workers need one each", port_id,
		       info.max_rx_queues, info.max_tx_queues, n_queues);
		return -EINVAL;
	}
	port_offloads(&info, &conf);
	*ret_tx_csum = (conf.txmode.offloads & (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
						RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) ==
		       (RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM);
	if (n_queues > 1) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			info.flow_type_rss_offloads & (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP);
		conf.rx_adv_conf.rss_conf.rss_key_len = port_rss_symmetric(&info);
		conf.rx_adv_conf.rss_conf.rss_key = port_rss_key;
		SB_LOG(port, INFO, "port %u: symmetric RSS key, %u bytes (device reports %u)",
		       port_id, conf.rx_adv_conf.rss_conf.rss_key_len, info.hash_key_size);
	}
	rc = rte_eth_dev_configure(port_id, n_queues, n_queues, &conf);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rxd, &txd);
	if (rc != 0)
		goto fail;
	rc = rte_eth_dev_set_mtu(port_id, (uint16_t)cfg->port0_mtu);
	if (rc != 0 && rc != -ENOTSUP)
		goto fail;
	for (uint16_t q = 0; q < n_queues; q++) {
		struct rte_eth_txconf txc = info.default_txconf;

		txc.offloads = conf.txmode.offloads;
		rc = rte_eth_rx_queue_setup(port_id, q, rxd, rte_eth_dev_socket_id(port_id), NULL,
					    pool);
		if (rc != 0)
			goto fail;
		rc = rte_eth_tx_queue_setup(port_id, q, txd, rte_eth_dev_socket_id(port_id), &txc);
		if (rc != 0)
			goto fail;
	}
	rc = rte_eth_dev_start(port_id);
	if (rc != 0)
		goto fail;
	SB_LOG(port, INFO, "port %u started: %u queue pairs, %u/%u descriptors", port_id,
	       n_queues, rxd, txd);
	return 0;
fail:
	SB_LOG(port, ERR, "port %u setup failed: %s", port_id, rte_strerror(-rc));
	return rc < 0 ? rc : -EIO;
}

void sb_port_publish(uint16_t port_id, struct sb_shm_port *out)
{
	struct rte_eth_link link;
	struct rte_eth_stats st;

	if (rte_eth_link_get_nowait(port_id, &link) == 0) {
		out->link_up = link.link_status == RTE_ETH_LINK_UP;
		out->speed_mbps = link.link_speed;
	}
	if (rte_eth_stats_get(port_id, &st) == 0) {
		out->hw_ipackets = st.ipackets;
		out->hw_opackets = st.opackets;
		out->hw_imissed = st.imissed;
		out->hw_ierrors = st.ierrors;
		out->hw_oerrors = st.oerrors;
		out->hw_rx_nombuf = st.rx_nombuf;
	}
}

void sb_port_stop(uint16_t port_id)
{
	rte_eth_dev_stop(port_id);
	rte_eth_dev_close(port_id);
}
