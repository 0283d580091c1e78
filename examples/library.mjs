// The README's library example: track a capture, print each packet's verdict and the table.
// Run after `npm ci`: node examples/library.mjs
import { Conntrack, readCapture } from 'ctscope';
import { readFileSync } from 'node:fs';

const ct = new Conntrack({ sysctl: { 'net.netfilter.nf_conntrack_tcp_be_liberal': 0 } });
ct.on('event', (e) => console.log(e.type, e.entry.state, e.time));

readCapture(new Uint8Array(readFileSync(new URL('tutorial-telnet.pcap', import.meta.url))), (frame) => {
  const r = ct.processFrame(frame); // reused result: read it before the next packet
  console.log(frame.index, r.ctstateName, r.dirName, r.reasons());
});

console.log(ct.formatTable('proc').join('\n'));
ct.advance(ct.time + 600); // move the clock: entries expire, DESTROY fires
console.log(ct.count, ct.stats);
