// Map keys and root names that are one string to Swift (canonically
// equivalent) and two to Yjs: "é" as U+00E9 and as "e" + U+0301. Writes the
// updates of two replicas, one key each, and the merged state, as Yjs
// encodes them, to fixtures/ydoc-yjs/ (docs/documents.md, "Keys").
//
//   YJS=/path/to/yjs/src/index.js node tools/peers/yjs_exact_keys.mjs
// (Yjs v13.6.31, unpacked outside the repository.)
import * as fs from 'fs'
const Y = await import(process.env.YJS ?? 'yjs')

const composed = '\u00e9', decomposed = 'e\u0301'
const a = new Y.Doc(); a.clientID = 1
const b = new Y.Doc(); b.clientID = 2
a.getMap('m').set(composed, 'composed')
b.getMap('m').set(decomposed, 'decomposed')
a.getMap(composed).set('k', 1)
b.getMap(decomposed).set('k', 2)
const merged = new Y.Doc(); merged.clientID = 3
Y.applyUpdate(merged, Y.encodeStateAsUpdate(a))
Y.applyUpdate(merged, Y.encodeStateAsUpdate(b))
if (merged.getMap('m').size !== 2) throw new Error('Yjs kept one key')

const out = new URL('../../fixtures/ydoc-yjs/', import.meta.url)
fs.writeFileSync(new URL('exact-keys.a.update', out), Y.encodeStateAsUpdate(a))
fs.writeFileSync(new URL('exact-keys.b.update', out), Y.encodeStateAsUpdate(b))
fs.writeFileSync(new URL('exact-keys.merged.update', out), Y.encodeStateAsUpdate(merged))
