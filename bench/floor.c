/*
 * The floor: the least work any flow tracker must do on a capture. Reads a pcap
 * (LINKTYPE_ETHERNET or RAW, µs or ns, either byte order) with big sequential
 * reads, finds the IPv4/IPv6 5-tuple of every packet, orders it so both
 * directions give the same key, and finds or inserts it in an open-addressing
 * table (linear probing, seeded hash). Prints packets and flows.
 *   gcc -O2 -o floor bench/floor.c && ./floor FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

typedef struct { uint32_t w[10]; } key_t_;

static key_t_ *keys;
static uint8_t *used;
static uint64_t mask, count;

static uint32_t hash(const key_t_ *k, uint32_t seed) {
  uint32_t h = seed;
  for (int i = 0; i < 10; i++) { h = (h ^ k->w[i]) * 0x9e3779b1u; h ^= h >> 15; }
  h = (h ^ (h >> 13)) * 0x85ebca6bu; h ^= h >> 16;
  return h;
}

static void grow(void) {
  uint64_t n = (mask + 1) * 2;
  key_t_ *ok = keys; uint8_t *ou = used; uint64_t om = mask;
  keys = calloc(n, sizeof *keys); used = calloc(n, 1); mask = n - 1;
  for (uint64_t i = 0; i <= om; i++) if (ou[i]) {
    uint64_t j = hash(&ok[i], 0x5eed) & mask;
    while (used[j]) j = (j + 1) & mask;
    used[j] = 1; keys[j] = ok[i];
  }
  free(ok); free(ou);
}

static void track(key_t_ *k) {
  uint64_t j = hash(k, 0x5eed) & mask;
  while (used[j]) { if (!memcmp(&keys[j], k, sizeof *k)) return; j = (j + 1) & mask; }
  used[j] = 1; keys[j] = *k;
  if (++count * 2 > mask) grow();
}

static inline uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static inline uint32_t be16(const uint8_t *p) { return p[0] << 8 | p[1]; }

static void packet(const uint8_t *p, uint32_t len, uint32_t lt) {
  if (lt == 1) { if (len < 14) return; uint32_t et = be16(p + 12); p += 14; len -= 14;
    if (et != 0x0800 && et != 0x86dd) return; }
  if (len < 20) return;
  key_t_ k; memset(&k, 0, sizeof k);
  uint32_t proto, l4;
  if ((p[0] >> 4) == 4) {
    k.w[0] = be32(p + 12); k.w[4] = be32(p + 16); proto = p[9]; l4 = (p[0] & 15) * 4;
  } else if ((p[0] >> 4) == 6) {
    if (len < 40) return;
    for (int i = 0; i < 4; i++) { k.w[i] = be32(p + 8 + 4 * i); k.w[4 + i] = be32(p + 24 + 4 * i); }
    proto = p[6]; l4 = 40;
  } else return;
  uint32_t a = 0, b = 0;
  if ((proto == 6 || proto == 17) && l4 + 4 <= len) { a = be16(p + l4); b = be16(p + l4 + 2); }
  else if ((proto == 1 || proto == 58) && l4 + 8 <= len) { a = be16(p + l4 + 4); }
  /* direction-independent key: smaller endpoint first */
  int swap = memcmp(&k.w[0], &k.w[4], 16) > 0 || (memcmp(&k.w[0], &k.w[4], 16) == 0 && a > b);
  if (swap) { for (int i = 0; i < 4; i++) { uint32_t t = k.w[i]; k.w[i] = k.w[4 + i]; k.w[4 + i] = t; } uint32_t t = a; a = b; b = t; }
  k.w[8] = a << 16 | b; k.w[9] = proto;
  track(&k);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: floor FILE.pcap\n"); return 2; }
  int fd = argv[1][0] == '-' && !argv[1][1] ? 0 : open(argv[1], O_RDONLY);
  if (fd < 0) { perror(argv[1]); return 2; }
  size_t cap = 8 << 20, have = 0, pos = 0; uint8_t *buf = malloc(cap);
  mask = 1023; keys = calloc(mask + 1, sizeof *keys); used = calloc(mask + 1, 1);
  uint64_t packets = 0; int hdr = 0, swapped = 0; uint32_t lt = 1;
  for (;;) {
    if (pos > 0) { memmove(buf, buf + pos, have - pos); have -= pos; pos = 0; }
    ssize_t n = read(fd, buf + have, cap - have);
    if (n <= 0) break;
    have += n;
    if (!hdr) { if (have < 24) continue; uint32_t m; memcpy(&m, buf, 4);
      swapped = m == 0xd4c3b2a1 || m == 0x4d3cb2a1; lt = swapped ? be32(buf + 20) : *(uint32_t *)(buf + 20); pos = 24; hdr = 1; }
    while (have - pos >= 16) {
      uint32_t cl; memcpy(&cl, buf + pos + 8, 4); if (swapped) cl = __builtin_bswap32(cl);
      if (have - pos < 16 + cl) break;
      packet(buf + pos + 16, cl, lt); packets++; pos += 16 + cl;
    }
  }
  printf("%llu packets %llu flows\n", (unsigned long long)packets, (unsigned long long)count);
  return 0;
}
