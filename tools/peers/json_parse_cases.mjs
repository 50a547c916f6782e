// Asks ECMAScript's own JSON.parse (node's V8) which texts it reads, for
// Tests/JSONTests/JSONSyntaxTests.swift: Yjs reads embeds, format values and
// JSON content with JSON.parse, and Cairn must accept exactly those.
//
//   node tools/peers/json_parse_cases.mjs > fixtures/json/json-parse-cases.json
//
// Texts are mutations (seeded, repeatable) of valid JSON with the characters
// the grammar turns on. Raw lone surrogates are never written (a Swift String
// cannot hold one, and lib0 reads strings from UTF-8, which cannot either);
// escaped ones are, since JSON.parse takes them.
const seeds = [
  '{"image":"a.png","alt":"x"}', '[1,-2.5,true,false,null,"x",{},[]]', '"\\ud83d\\ude00"', '"\\ud83d"',
  '{"a":{"b":[{"c":null}]}}', '  {"href" : "https://e.x/?q=1"}  ', '-0', '1e400', '0.5E-3', '"é中😀"',
  '{"a":1,"a":2}', '"tab\\tand\\u00e9"', 'true', 'null', '[[[[]]]]', '{"":""}', '"\\/\\b\\f\\n\\r"',
];
const alphabet = [
  '{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\t', '\n', '\r', '0', '1', '9', '-', '+', '.', 'e', 'E',
  't', 'r', 'u', 'f', 'n', 'l', 'a', 's', 'x', '\\u', '\\ud83d', '\\ude00', '\\uD800', '\\u00', '\u0000', '\u001f',
  '\u007f', '\u00a0', '\ufeff', '\u2028', 'é', '😀', '\\"', '\\x', 'null', 'true', '01', '1.', '.5', '1e', 'Infinity', 'NaN',
];
// A 32-bit xorshift, so the cases are the same on every machine.
let state = 20261204;
function next() {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state;
}
const pick = (list) => list[next() % list.length];

function mutate(text) {
  const chars = Array.from(text);  // by code point: no surrogate is split
  const edits = 1 + (next() % 3);
  for (let i = 0; i < edits; i++) {
    const at = next() % (chars.length + 1);
    switch (next() % 3) {
      case 0: chars.splice(at, 0, pick(alphabet)); break;
      case 1: chars.splice(at, 1); break;
      default: chars.splice(at, 1, pick(alphabet)); break;
    }
  }
  return chars.join('');
}

const cases = new Map();
function add(text) {
  if (cases.has(text)) return;
  let accepted = true;
  try { JSON.parse(text); } catch { accepted = false; }
  cases.set(text, accepted);
}
for (const seed of seeds) add(seed);
for (let round = 0; round < 6000; round++) add(mutate(pick(seeds)));
// Nesting deeper than any parser limit Cairn has elsewhere (512).
for (const depth of [513, 5000]) {
  add('['.repeat(depth) + ']'.repeat(depth));
  add('{"a":'.repeat(depth) + '1' + '}'.repeat(depth));
  add('['.repeat(depth) + ']'.repeat(depth - 1));
}
const list = [...cases].map(([text, accepted]) => ({ text, accepted }));
process.stdout.write('{"made_by":"JSON.parse, node ' + process.version + '","cases":[\n'
  + list.map((c) => JSON.stringify(c)).join(',\n') + '\n]}\n');
