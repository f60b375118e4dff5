// Print the api keys and version ranges in an ApiVersions response frame (v3+, flexible).
// Usage: node apiversions.mjs FRAME.bin
import fs from 'node:fs';

const b = fs.readFileSync(process.argv[2]);
let o = 4; // correlation id; ApiVersions responses always use header v0
const err = b.readInt16BE(o);
o += 2;
function uvarint() {
  let r = 0,
    s = 0,
    x;
  do {
    x = b[o++];
    r |= (x & 0x7f) << s;
    s += 7;
  } while (x & 0x80);
  return r;
}
const n = uvarint() - 1;
const out = [];
for (let i = 0; i < n; i++) {
  const k = b.readInt16BE(o),
    min = b.readInt16BE(o + 2),
    max = b.readInt16BE(o + 4);
  o += 6;
  let tags = uvarint();
  while (tags--) {
    uvarint();
    o += uvarint();
  }
  out.push(`${k}:${min}-${max}`);
}
console.log(`error=${err} ${out.join(' ')}`);
