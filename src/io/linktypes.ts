/**
 * LINKTYPE_* values (https://www.tcpdump.org/linktypes.html) and their names.
 * Browser-safe.
 */

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_PPP = 9;
/** DLT_RAW as written by some systems (e.g. older BSDs) directly as the file's link type. */
export const DLT_RAW_12 = 12;
/** DLT_RAW on BSD/OS and others, also seen in files as the link type. */
export const DLT_RAW_14 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_PFLOG = 117;
export const LINKTYPE_IEEE802_11_RADIOTAP = 127;
export const LINKTYPE_USER0 = 147;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_LINUX_SLL2 = 276;

const NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [0, 'LINKTYPE_NULL'],
  [1, 'LINKTYPE_ETHERNET'],
  [2, 'LINKTYPE_EXP_ETHERNET'],
  [3, 'LINKTYPE_AX25'],
  [4, 'LINKTYPE_PRONET'],
  [5, 'LINKTYPE_CHAOS'],
  [6, 'LINKTYPE_IEEE802_5'],
  [7, 'LINKTYPE_ARCNET_BSD'],
  [8, 'LINKTYPE_SLIP'],
  [9, 'LINKTYPE_PPP'],
  [10, 'LINKTYPE_FDDI'],
  [12, 'DLT_RAW'],
  [14, 'DLT_RAW'],
  [50, 'LINKTYPE_PPP_HDLC'],
  [51, 'LINKTYPE_PPP_ETHER'],
  [100, 'LINKTYPE_ATM_RFC1483'],
  [101, 'LINKTYPE_RAW'],
  [104, 'LINKTYPE_C_HDLC'],
  [105, 'LINKTYPE_IEEE802_11'],
  [107, 'LINKTYPE_FRELAY'],
  [108, 'LINKTYPE_LOOP'],
  [109, 'LINKTYPE_ENC'],
  [113, 'LINKTYPE_LINUX_SLL'],
  [114, 'LINKTYPE_LTALK'],
  [117, 'LINKTYPE_PFLOG'],
  [119, 'LINKTYPE_IEEE802_11_PRISM'],
  [122, 'LINKTYPE_IP_OVER_FC'],
  [123, 'LINKTYPE_SUNATM'],
  [127, 'LINKTYPE_IEEE802_11_RADIOTAP'],
  [129, 'LINKTYPE_ARCNET_LINUX'],
  [138, 'LINKTYPE_APPLE_IP_OVER_IEEE1394'],
  [139, 'LINKTYPE_MTP2_WITH_PHDR'],
  [140, 'LINKTYPE_MTP2'],
  [141, 'LINKTYPE_MTP3'],
  [142, 'LINKTYPE_SCCP'],
  [143, 'LINKTYPE_DOCSIS'],
  [144, 'LINKTYPE_LINUX_IRDA'],
  [163, 'LINKTYPE_IEEE802_11_AVS'],
  [165, 'LINKTYPE_BACNET_MS_TP'],
  [166, 'LINKTYPE_PPP_PPPD'],
  [169, 'LINKTYPE_GPRS_LLC'],
  [177, 'LINKTYPE_LINUX_LAPD'],
  [187, 'LINKTYPE_BLUETOOTH_HCI_H4'],
  [189, 'LINKTYPE_USB_LINUX'],
  [192, 'LINKTYPE_PPI'],
  [195, 'LINKTYPE_IEEE802_15_4_WITHFCS'],
  [197, 'LINKTYPE_ERF'],
  [201, 'LINKTYPE_BLUETOOTH_HCI_H4_WITH_PHDR'],
  [204, 'LINKTYPE_PPP_WITH_DIR'],
  [209, 'LINKTYPE_IPMB_LINUX'],
  [215, 'LINKTYPE_IEEE802_15_4_NONASK_PHY'],
  [220, 'LINKTYPE_USB_LINUX_MMAPPED'],
  [224, 'LINKTYPE_FC_2'],
  [226, 'LINKTYPE_IPNET'],
  [227, 'LINKTYPE_CAN_SOCKETCAN'],
  [228, 'LINKTYPE_IPV4'],
  [229, 'LINKTYPE_IPV6'],
  [230, 'LINKTYPE_IEEE802_15_4_NOFCS'],
  [231, 'LINKTYPE_DBUS'],
  [235, 'LINKTYPE_DVB_CI'],
  [239, 'LINKTYPE_NFLOG'],
  [240, 'LINKTYPE_NETANALYZER'],
  [241, 'LINKTYPE_NETANALYZER_TRANSPARENT'],
  [242, 'LINKTYPE_IPOIB'],
  [243, 'LINKTYPE_MPEG_2_TS'],
  [247, 'LINKTYPE_INFINIBAND'],
  [248, 'LINKTYPE_SCTP'],
  [249, 'LINKTYPE_USBPCAP'],
  [251, 'LINKTYPE_BLUETOOTH_LE_LL'],
  [253, 'LINKTYPE_NETLINK'],
  [254, 'LINKTYPE_BLUETOOTH_LINUX_MONITOR'],
  [256, 'LINKTYPE_BLUETOOTH_LE_LL_WITH_PHDR'],
  [258, 'LINKTYPE_PKTAP'],
  [259, 'LINKTYPE_EPON'],
  [266, 'LINKTYPE_USB_DARWIN'],
  [271, 'LINKTYPE_VSOCK'],
  [272, 'LINKTYPE_NORDIC_BLE'],
  [274, 'LINKTYPE_ETHERNET_MPACKET'],
  [276, 'LINKTYPE_LINUX_SLL2'],
  [280, 'LINKTYPE_VPP_DISPATCH'],
  [288, 'LINKTYPE_USB_2_0'],
  [290, 'LINKTYPE_ETW'],
]);

/** Symbolic name of a link type, e.g. `LINKTYPE_USER0`; `unknown` when not known. */
export function linkTypeName(lt: number): string {
  const n = NAMES.get(lt);
  if (n !== undefined) return n;
  if (lt >= 147 && lt <= 162) return `LINKTYPE_USER${lt - 147}`;
  return 'unknown';
}

/** True for link types that `decodeLink` (src/packet/link.ts) can take to the IP header. */
export function isSupportedLinkType(lt: number): boolean {
  switch (lt) {
    case LINKTYPE_NULL:
    case LINKTYPE_ETHERNET:
    case DLT_RAW_12:
    case DLT_RAW_14:
    case LINKTYPE_RAW:
    case LINKTYPE_LOOP:
    case LINKTYPE_LINUX_SLL:
    case LINKTYPE_IPV4:
    case LINKTYPE_IPV6:
    case LINKTYPE_LINUX_SLL2:
      return true;
    default:
      return false;
  }
}

/** `unsupported link type 147 (LINKTYPE_USER0)` */
export function unsupportedLinkTypeMessage(lt: number): string {
  return `unsupported link type ${lt} (${linkTypeName(lt)})`;
}
