// The traffic beside a live rebuild (bench/rebuild-live.sh): one client reads its 20 instances through the first API
// process (the list, then one instance, in turn), WRITERS clients create instances through the second, until the file
// STOP exists; then prints one JSON line: reads, wrong reads (a list that is not exactly the 20, an instance missing
// or with another name), writes, refused writes (any non-2xx), and the instances written, to check afterwards.
//
//   node bench/rebuild-load.mjs <url 1> <url 2> <reader key> <reader ids file> <writer keys file> <stop file> <out file>
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const [url1, url2, readerKey, idsFile, writersFile, stopFile, outFile] = process.argv.slice(2);
const mine = readFileSync(idsFile, "utf8").trim().split("\n").map((l) => l.split(" ")); // "<uuid> <name>"
const writers = readFileSync(writersFile, "utf8").trim().split("\n");
const counts = { reads: 0, wrong_reads: 0, writes: 0, refused_writes: 0 };
const examples = [];
const written = [];
const stopped = () => existsSync(stopFile);
const note = (what) => { if (examples.length < 10) examples.push(what); };

async function call(url, key, init = {}) {
  try {
    const response = await fetch(url, { ...init, headers: { Authorization: `Token ${key}`, ...(init.headers ?? {}) } });
    return { status: response.status, text: await response.text() };
  } catch (e) {
    return { status: 0, text: String(e) };
  }
}

async function read() {
  for (let i = 0; !stopped(); i++) {
    const list = await call(`${url1}/api/v1/instances/`, readerKey);
    counts.reads++;
    const n = list.status === 200 ? JSON.parse(list.text).length : -1;
    if (n !== mine.length) { counts.wrong_reads++; note(`list: ${list.status}, ${n} instances`); }
    const [id, name] = mine[i % mine.length];
    const one = await call(`${url1}/api/v1/instances/${id}/`, readerKey);
    counts.reads++;
    if (one.status !== 200 || JSON.parse(one.text).name !== name) { counts.wrong_reads++; note(`get ${id}: ${one.status} ${one.text.slice(0, 120)}`); }
  }
}

async function write(key, w) {
  for (let n = 0; !stopped(); n++) {
    const created = await call(`${url2}/api/v1/instances/`, key, {
      method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: `name=w${w}-${n}&ask_price=0.02`,
    });
    counts.writes++;
    if (created.status !== 201) { counts.refused_writes++; note(`create: ${created.status} ${created.text.slice(0, 120)}`); continue; }
    written.push(`${JSON.parse(created.text).uuid} ${key} w${w}-${n}`);
  }
}

await Promise.all([read(), ...writers.map(write)]);
writeFileSync(outFile, written.join("\n") + "\n");
console.log(JSON.stringify({ ...counts, written: written.length, examples }));
