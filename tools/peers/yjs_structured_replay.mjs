// Replays what a fuzz-ydoc-structured input did, from the updates the target
// dumped (CAIRN_FUZZ_DUMP=DIR), in real Yjs, as the target does it: replica
// A applies every update in order (each applied twice, to see whether the
// second moves the state vector), replica B then applies A's outgoing
// updates in reverse order and A's state. Prints the state vectors after
// each update, whether a copy loaded from A's state matches A, and whether
// A and B hold the same content, to compare with what the target reported.
// A's local edits come as the updates they emitted (`NN-local.update`), so
// Yjs sees its own client in them and takes a new id, as it says.
//
//   YJS=/path/to/yjs/src/index.js node tools/peers/yjs_structured_replay.mjs DIR
//
// Yjs is not in this repository: fetch yjs/yjs (v13.6.31) and lib0
// (v0.2.117) and point YJS at its src/index.js (docs/reliability.md).
import fs from 'fs'
const Y = await import(process.env.YJS ?? 'yjs')
const dir = process.argv[2]
const onBase = fs.readFileSync(`${dir}/README`, 'utf8').includes('true')
const base = new Uint8Array(fs.readFileSync(new URL('../../fixtures/ydoc/base.update', import.meta.url)))
const sv = (d) => JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(d)).entries()].sort((x, y) => x[0] - y[0]))
// Every root, whatever its kind, as JSON: a map's entries and a list's items.
const content = (d) => {
  const out = {}
  for (const name of [...d.share.keys()].sort()) {
    const type = d.share.get(name)
    const map = {}
    for (const [key, item] of type._map) if (!item.deleted) map[key] = item.content.getContent().map(v => v?.toJSON ? v.toJSON() : v)
    const list = []
    for (let n = type._start; n; n = n.right) if (!n.deleted && n.countable) list.push(...n.content.getContent().map(v => v?.toJSON ? v.toJSON() : v))
    out[name] = { map, list }
  }
  return JSON.stringify(out)
}

const a = new Y.Doc()
a.clientID = 1000
const sent = []
a.on('update', (u) => sent.push(u))
if (onBase) Y.applyUpdate(a, base)
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.update')).sort()) {
  const update = new Uint8Array(fs.readFileSync(`${dir}/${file}`))
  try {
    Y.applyUpdate(a, update)
  } catch (e) {
    console.log(file, 'refused:', String(e).slice(0, 80))
    continue
  }
  const once = sv(a)
  Y.applyUpdate(a, update)
  const copy = new Y.Doc()
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(a))
  console.log(file, once, once === sv(a) ? 'twice: same' : `twice: MOVED to ${sv(a)}`,
    sv(copy) === sv(a) ? 'copy: same' : `copy: ${sv(copy)}`)
}
const b = new Y.Doc()
b.clientID = 2000
if (onBase) Y.applyUpdate(b, base)
for (const update of [...sent].reverse()) {
  try { Y.applyUpdate(b, update) } catch (e) { console.log('B refused:', String(e).slice(0, 80)) }
}
Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
console.log('A', sv(a))
console.log('B', sv(b))
console.log(content(a) === content(b) ? 'A and B hold the same content' : `A and B DIFFER\nA ${content(a)}\nB ${content(b)}`)
