// Loads the API reference page in headless Chromium and prints, as JSON, what it rendered and fetched:
// the response status, every URL the page requested, console errors and Content-Security-Policy
// violations, and which of the expected texts never appeared.
// Usage: node render-reference.mjs <playwright-core folder> <chromium> <url> <timeout ms> <expected text>...
import { createRequire } from 'node:module';

const [playwrightCore, executablePath, url, timeout, ...expected] = process.argv.slice(2);
const { chromium } = createRequire(import.meta.url)(playwrightCore);

const browser = await chromium.launch({
  executablePath,
  // The machine has no internet: without these, Chromium keeps trying to reach Google's services.
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  const requests = [];
  const problems = [];
  page.on('request', request => requests.push(request.url()));
  page.on('console', message => { if (message.type() === 'error') problems.push(message.text()); });
  page.on('pageerror', error => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    e => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`)));

  const response = await page.goto(url, { waitUntil: 'load' });
  // innerText: what is laid out for a reader, not text hidden in collapsed sections.
  await page.waitForFunction(texts => texts.every(t => (document.body?.innerText ?? '').includes(t)),
    expected, { timeout: Number(timeout) }).catch(() => { });
  const text = await page.evaluate(() => document.body?.innerText ?? '');
  console.log(JSON.stringify({
    status: response?.status() ?? 0,
    url: page.url(),
    title: await page.title(),
    requests,
    problems,
    missing: expected.filter(t => !text.includes(t)),
  }));
} finally {
  await browser.close();
}
