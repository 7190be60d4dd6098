/* Sends and receives raw Ethernet frames marked with a tag string, for the lab's guest tier: the
 * VM inside the lab guest has busybox only, so this is built static. A frame's VLAN tag is read
 * in-band or, where the driver stripped it, from the socket's PACKET_AUXDATA.
 *   usage: rawframe send IF DST SRC ETHERTYPE TAG COUNT INTERVAL_MS [VLAN PCP]
 *          rawframe recv IF SECONDS ETHERTYPE [TAG COUNT]
 * recv prints one line per frame of ETHERTYPE it receives (not the ones it sends):
 *   rx src=MAC dst=MAC vlan=VID|none pcp=P tag=TAG
 * and stops at SECONDS, or once it has seen COUNT frames carrying TAG. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TAG_MAX 32

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	int i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac[i] = (unsigned char)b[i];
	}
	return 0;
}

static void fmt_mac(const unsigned char *mac, char *out)
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
	         mac[5]);
}

static int open_socket(const char *ifname, int *ifindex)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL)};
	int fd, one = 1;

	*ifindex = (int)if_nametoindex(ifname);
	if (*ifindex == 0) {
		fprintf(stderr, "rawframe: interface %s: %s\n", ifname, strerror(errno));
		return -1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		fprintf(stderr, "rawframe: AF_PACKET socket: %s\n", strerror(errno));
		return -1;
	}
	sll.sll_ifindex = *ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
		fprintf(stderr, "rawframe: %s: bind: %s\n", ifname, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_send(int argc, char **argv)
{
	unsigned char frame[128] = {0}, dst[6], src[6];
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
	unsigned long type, count, interval, vlan = 0, pcp = 0;
	size_t off = 12;
	int fd, ifindex;
	unsigned long i;

	if (argc != 9 && argc != 11) {
		fprintf(stderr, "usage: rawframe send IF DST SRC ETHERTYPE TAG COUNT INTERVAL_MS "
		                "[VLAN PCP]\n");
		return 2;
	}
	if (parse_mac(argv[3], dst) < 0 || parse_mac(argv[4], src) < 0) {
		fprintf(stderr, "rawframe: bad MAC address %s or %s\n", argv[3], argv[4]);
		return 2;
	}
	type = strtoul(argv[5], NULL, 0);
	count = strtoul(argv[7], NULL, 0);
	interval = strtoul(argv[8], NULL, 0);
	if (argc == 11) {
		vlan = strtoul(argv[9], NULL, 0);
		pcp = strtoul(argv[10], NULL, 0);
	}
	fd = open_socket(argv[2], &ifindex);
	if (fd < 0)
		return 1;
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	if (argc == 11) {
		frame[off++] = 0x81;
		frame[off++] = 0x00;
		frame[off++] = (unsigned char)((pcp << 5) | ((vlan >> 8) & 0x0f));
		frame[off++] = (unsigned char)(vlan & 0xff);
	}
	frame[off++] = (unsigned char)(type >> 8);
	frame[off++] = (unsigned char)(type & 0xff);
	snprintf((char *)frame + off, TAG_MAX, "%s", argv[6]);
	to.sll_ifindex = ifindex;
	memcpy(to.sll_addr, dst, 6);
	for (i = 0; i < count; i++) {
		/* 64 bytes of payload: above the Ethernet minimum with or without the tag. */
		if (sendto(fd, frame, off + 64, 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "rawframe: %s: send: %s\n", argv[2], strerror(errno));
			close(fd);
			return 1;
		}
		if (interval && i + 1 < count)
			usleep((useconds_t)(interval * 1000));
	}
	close(fd);
	return 0;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Prints one received frame of the wanted type; returns 1 when it carries tag. */
static int print_frame(const unsigned char *buf, size_t len, const struct tpacket_auxdata *aux,
                       unsigned long type, const char *want)
{
	char src[18], dst[18], tag[TAG_MAX + 1] = "";
	unsigned int t, vlan = 0, pcp = 0, tagged = 0;
	size_t off = 12;

	if (len < 14)
		return 0;
	t = (unsigned int)(buf[12] << 8 | buf[13]);
	if (t == 0x8100 && len >= 18) {
		tagged = 1;
		pcp = buf[14] >> 5;
		vlan = (unsigned int)((buf[14] & 0x0f) << 8 | buf[15]);
		off += 4;
		t = (unsigned int)(buf[16] << 8 | buf[17]);
	} else if (aux && (aux->tp_status & TP_STATUS_VLAN_VALID)) {
		tagged = 1;
		pcp = aux->tp_vlan_tci >> 13;
		vlan = aux->tp_vlan_tci & 0x0fff;
	}
	if (t != type)
		return 0;
	off += 2;
	if (len > off)
		snprintf(tag, sizeof(tag), "%.*s", (int)(len - off), (const char *)buf + off);
	fmt_mac(buf + 6, src);
	fmt_mac(buf, dst);
	if (tagged)
		printf("rx src=%s dst=%s vlan=%u pcp=%u tag=%s\n", src, dst, vlan, pcp, tag);
	else
		printf("rx src=%s dst=%s vlan=none pcp=none tag=%s\n", src, dst, tag);
	fflush(stdout);
	return want && strcmp(tag, want) == 0;
}

static int cmd_recv(int argc, char **argv)
{
	unsigned char buf[2048];
	char ctrl[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	unsigned long type, want_count = 0, seen = 0;
	const char *want = NULL;
	long long deadline;
	int fd, ifindex;

	if (argc != 5 && argc != 7) {
		fprintf(stderr, "usage: rawframe recv IF SECONDS ETHERTYPE [TAG COUNT]\n");
		return 2;
	}
	deadline = now_ms() + 1000 * strtoll(argv[3], NULL, 0);
	type = strtoul(argv[4], NULL, 0);
	if (argc == 7) {
		want = argv[5];
		want_count = strtoul(argv[6], NULL, 0);
	}
	fd = open_socket(argv[2], &ifindex);
	if (fd < 0)
		return 1;
	while (!want || seen < want_count) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct sockaddr_ll from;
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_name = &from,
		                     .msg_namelen = sizeof(from),
		                     .msg_iov = &iov,
		                     .msg_iovlen = 1,
		                     .msg_control = ctrl,
		                     .msg_controllen = sizeof(ctrl)};
		const struct tpacket_auxdata *aux = NULL;
		struct cmsghdr *c;
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)left) <= 0)
			continue;
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
		if (n < 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;
		for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				aux = (const struct tpacket_auxdata *)CMSG_DATA(c);
		seen += (unsigned long)print_frame(buf, (size_t)n, aux, type, want);
	}
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "send") == 0)
		return cmd_send(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "recv") == 0)
		return cmd_recv(argc, argv);
	fprintf(stderr, "usage: rawframe send|recv ... (see the file's head)\n");
	return 2;
}
