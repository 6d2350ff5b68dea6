// The dispatch drain (bench/jobs.sh): MACHINES provider machines poll get-jobs through two API processes (a machine
// alternates between them poll by poll) and report each job handed to them, IN_PROGRESS then SUCCEEDED, through the
// other process, until the consumers' JOBS jobs have all been reported done; then prints one JSON line of counts and
// times. No sleep between polls: each machine polls again as soon as its jobs are reported, so the figure is the
// marketplace's throughput, not a poll interval's.
//
//   node bench/drain.mjs <targets file> <api url 1> <api url 2> <jobs expected> <timeout s>
// targets: one "<instance uuid> <API key>" per line.
import { readFileSync } from "node:fs";

const [targetsFile, url1, url2, expectedText, timeoutText] = process.argv.slice(2);
const expected = Number(expectedText);
const deadline = Date.now() + Number(timeoutText) * 1000;
const machines = readFileSync(targetsFile, "utf8").trim().split("\n").map((line) => {
  const [instance, key] = line.trim().split(/\s+/);
  return { instance, key };
});
const counts = { polls: 0, emptyPolls: 0, handed: 0, started: 0, succeeded: 0, errors: 0 };
const handedTwice = new Set();
const seen = new Set();
const errors = [];

async function call(url, method, key, body) {
  const response = await fetch(url, {
    method,
    headers: { Authorization: `Token ${key}`, ...(body ? { "Content-Type": "application/x-www-form-urlencoded" } : {}) },
    body,
  });
  const text = await response.text();
  if (!response.ok) {
    counts.errors++;
    if (errors.length < 10) errors.push(`${method} ${url}: ${response.status} ${text.slice(0, 200)}`);
    return null;
  }
  return text;
}

async function machine({ instance, key }, index) {
  const held = new Set(); // answered again until started: a machine starts each job once
  for (let poll = 0; counts.succeeded < expected && Date.now() < deadline; poll++) {
    const [pollUrl, reportUrl] = (index + poll) % 2 === 0 ? [url1, url2] : [url2, url1];
    const text = await call(`${pollUrl}/api/v1/instances/${instance}/get-jobs/`, "GET", key);
    counts.polls++;
    if (text === null) continue;
    const jobs = JSON.parse(text).filter((job) => !held.has(job.job_uuid));
    if (jobs.length === 0) {
      counts.emptyPolls++;
      await new Promise((resolve) => setTimeout(resolve, 20)); // nothing for this machine now
      continue;
    }
    await Promise.all(jobs.map(async (job) => {
      const id = job.job_uuid;
      counts.handed++;
      if (seen.has(id)) handedTwice.add(id);
      seen.add(id);
      held.add(id);
      if (await call(`${reportUrl}/api/v1/jobs/${id}/`, "PATCH", key, "status=2") === null) return;
      counts.started++;
      if (await call(`${reportUrl}/api/v1/jobs/${id}/`, "PATCH", key, "status=3&output=done") === null) return;
      counts.succeeded++;
      held.delete(id);
    }));
  }
}

const started = process.hrtime.bigint();
await Promise.all(machines.map(machine));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({
  machines: machines.length, expected, seconds: Number(seconds.toFixed(2)),
  jobs_per_second: Number((counts.succeeded / seconds).toFixed(1)),
  reports_per_second: Number(((counts.started + counts.succeeded) / seconds).toFixed(1)),
  ...counts, distinct_handed: seen.size, handed_twice: handedTwice.size, timed_out: counts.succeeded < expected, errors,
}));
