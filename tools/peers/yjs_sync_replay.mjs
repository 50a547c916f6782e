// Replays a fuzz-ydoc-sync input in real Yjs, as the target answers it: the
// room holds fixtures/ydoc/base.update, applies each frame's step 2 or update,
// and a peer then applies the room's state and every update the room took.
// Prints both state vectors, to compare with what the target reported.
//
//   YJS=/path/to/yjs/src/index.js node tools/peers/yjs_sync_replay.mjs INPUT
//
// Yjs is not in this repository: fetch yjs/yjs (v13.6.31) and lib0
// (v0.2.117) and point YJS at its src/index.js (docs/reliability.md).
import fs from 'fs'
const Y = await import(process.env.YJS ?? 'yjs')
const data = new Uint8Array(fs.readFileSync(process.argv[2]))
const rv = (b, p) => { let r = 0, s = 1, x; do { x = b[p.i++]; r += (x & 0x7f) * s; s *= 128 } while (x >= 0x80); return r }
const frames = []
const p = { i: 0 }
while (p.i < data.length) { try { const n = rv(data, p); if (p.i + n > data.length) break; frames.push(data.slice(p.i, p.i + n)); p.i += n } catch { break } }
const base = new Uint8Array(fs.readFileSync(new URL('../../fixtures/ydoc/base.update', import.meta.url)))
const room = new Y.Doc(); room.clientID = 0
Y.applyUpdate(room, base)
const sv = (d) => JSON.stringify([...Y.decodeStateVector(Y.encodeStateVector(d)).entries()].sort())
const relayed = []
for (const f of frames) {
  const q = { i: 0 }
  let t, s, u
  try { t = rv(f, q); if (t !== 0) continue; s = rv(f, q); const n = rv(f, q); u = f.slice(q.i, q.i + n) } catch { continue }
  if (s === 0) continue
  if (u.length === 0) continue
  try { Y.applyUpdate(room, u); relayed.push(u); console.log('applied', s, u.length, sv(room)) } catch (e) { console.log('refused', s, String(e).slice(0, 60)) }
}
const peer = new Y.Doc(); peer.clientID = 1
Y.applyUpdate(peer, Y.encodeStateAsUpdate(room))
for (const u of relayed) { try { Y.applyUpdate(peer, u) } catch (e) { console.log('peer refused', String(e).slice(0, 60)) } }
console.log('room', sv(room), 'pending', !!room.store.pendingStructs)
console.log('peer', sv(peer), 'pending', !!peer.store.pendingStructs)
