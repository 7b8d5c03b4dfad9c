#!/usr/bin/env node
// Copy Auth0 tenant logs to an NDJSON file with Node's built-in fetch: the script a team writes.
//
// Client-credentials token, then checkpoint paging on GET /api/v2/logs
// (`from`/`take`, following the `Link: rel="next"` header) until a page comes
// back empty. Every event becomes one JSON line in --out; after each page the
// last log_id goes to --state so that a rerun continues where this one stopped.
//
// First run (no checkpoint): one search-mode query for the oldest event by date
// (`sort=date:1&per_page=1`), which is written, then checkpoint paging from its
// log_id (see bench/peers/README.md for what this start can miss).
//
// Environment: AUTH0_DOMAIN (http(s)://host[:port] or a bare domain, meaning
// https), AUTH0_CLIENT_ID, AUTH0_CLIENT_SECRET, optional AUTH0_AUDIENCE.
// stdout: one JSON summary line at the end; diagnostics go to stderr.
// No npm packages: Node >= 18 (fetch is undici, keep-alive by default).

import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';

const CONTENDER = 'node-fetch';
const MAX_5XX_RETRIES = 5; // per request, for 5xx and network errors
const MAX_429_RETRIES = 30; // per request; each waits for the bucket to refill
const TIMEOUT_MS = 60_000;

class SyncError extends Error {}

const stats = { events: 0, requests: 0, status_429: 0, retries: 0 };
const started = performance.now();
const elapsed = () => Math.round(performance.now() - started) / 1000;

function baseUrl(domain) {
  const d = domain.trim().replace(/\/+$/, '');
  if (!d.includes('://')) return `https://${d}`;
  const u = new URL(d);
  return `${u.protocol}//${u.host}`;
}

function backoffMs(attempt) {
  return Math.min(500 * 2 ** (attempt - 1), 30_000) * (0.8 + 0.4 * Math.random());
}

// How long to wait after a 429: Retry-After, else x-ratelimit-reset, else backoff.
function retryDelayMs(res, attempt) {
  const retryAfter = res.headers.get('retry-after');
  if (retryAfter && /^\s*\d+\s*$/.test(retryAfter)) return Math.max(Number(retryAfter) * 1000, 100);
  const reset = res.headers.get('x-ratelimit-reset');
  if (reset && /^\s*\d+\s*$/.test(reset)) {
    return Math.min(Math.max(Number(reset) * 1000 - Date.now(), 100), 60_000);
  }
  return backoffMs(attempt);
}

// The error fields of an Auth0 error body (never the whole body).
async function describe(res) {
  try {
    const body = await res.json();
    return ['error', 'errorCode', 'message', 'error_description']
      .filter((k) => body && body[k])
      .map((k) => String(body[k]))
      .join(': ');
  } catch {
    return res.statusText;
  }
}

const pathOf = (url) => url.split('?')[0];

// One logical request: retries 429 (after the advertised wait), 5xx and network errors.
async function send(url, init) {
  let errors = 0;
  let limited = 0;
  for (;;) {
    stats.requests += 1;
    let res;
    try {
      res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      errors += 1;
      if (errors > MAX_5XX_RETRIES) {
        throw new SyncError(`${init.method} ${pathOf(url)}: ${e.cause?.code ?? e.name} after ${errors} attempts`);
      }
      stats.retries += 1;
      await sleep(backoffMs(errors));
      continue;
    }
    if (res.status === 429) {
      stats.status_429 += 1;
      limited += 1;
      await res.body?.cancel();
      if (limited > MAX_429_RETRIES) {
        throw new SyncError(`${init.method} ${pathOf(url)}: still rate limited after ${limited} attempts`);
      }
      stats.retries += 1;
      await sleep(retryDelayMs(res, limited));
      continue;
    }
    if (res.status >= 500) {
      errors += 1;
      await res.body?.cancel();
      if (errors > MAX_5XX_RETRIES) {
        throw new SyncError(`${init.method} ${pathOf(url)}: HTTP ${res.status} after ${errors} attempts`);
      }
      stats.retries += 1;
      await sleep(backoffMs(errors));
      continue;
    }
    return res;
  }
}

class Auth0Logs {
  constructor(base, clientId, clientSecret, audience) {
    Object.assign(this, { base, clientId, clientSecret, audience });
    this.token = null;
    this.tokenExpires = 0;
  }

  async fetchToken() {
    const res = await send(`${this.base}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'client_credentials',
        client_id: this.clientId,
        client_secret: this.clientSecret,
        audience: this.audience,
      }),
    });
    if (res.status !== 200) {
      throw new SyncError(`token request failed: HTTP ${res.status} ${await describe(res)}`);
    }
    const body = await res.json();
    this.token = body.access_token;
    // Refresh a little before it expires, as the official SDKs do.
    this.tokenExpires = Date.now() + ((body.expires_in ?? 86400) - 10) * 1000;
  }

  // GET on the Management API with a cached token; a 401 refreshes it once.
  async get(url) {
    for (let attempt = 0; ; attempt++) {
      if (!this.token || Date.now() >= this.tokenExpires) await this.fetchToken();
      const res = await send(url, {
        method: 'GET',
        headers: { authorization: `Bearer ${this.token}`, 'user-agent': 'auth0-logs-sync-node/1.0' },
      });
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel();
        this.token = null;
        continue;
      }
      if (res.status !== 200) {
        throw new SyncError(`GET ${pathOf(url)}: HTTP ${res.status} ${await describe(res)}`);
      }
      return res;
    }
  }
}

function nextLink(res) {
  const link = res.headers.get('link');
  const m = link && /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  return m ? m[1] : null;
}

async function loadCheckpoint(path) {
  if (!path) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')).last_log_id ?? null;
  } catch (e) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
}

async function saveCheckpoint(path, logId) {
  if (!path) return;
  const tmp = `${path}.tmp`;
  await writeFile(tmp, JSON.stringify({ last_log_id: logId, updated_at: new Date().toISOString() }));
  await rename(tmp, path);
}

async function writeEvents(out, events) {
  await out.write(events.map((e) => JSON.stringify(e) + '\n').join(''));
}

async function sync(api, out, statePath, take) {
  const logsUrl = `${api.base}/api/v2/logs`;
  const fromUrl = (id) => `${logsUrl}?from=${encodeURIComponent(id)}&take=${take}`;
  let checkpoint = await loadCheckpoint(statePath);
  if (checkpoint === null) {
    // No checkpoint yet: start at the oldest event still retained.
    const oldest = await (await api.get(`${logsUrl}?sort=date:1&per_page=1`)).json();
    if (oldest.length === 0) return 'caught-up';
    await writeEvents(out, oldest);
    stats.events += oldest.length;
    checkpoint = oldest[0].log_id;
    await saveCheckpoint(statePath, checkpoint);
  }

  let url = fromUrl(checkpoint);
  for (;;) {
    const res = await api.get(url);
    const events = await res.json();
    if (events.length === 0) return 'caught-up';
    await writeEvents(out, events);
    stats.events += events.length;
    checkpoint = events[events.length - 1].log_id;
    await saveCheckpoint(statePath, checkpoint);
    url = nextLink(res) ?? fromUrl(checkpoint);
  }
}

async function main() {
  let stopped = 'error: not started';
  try {
    let values;
    try {
      ({ values } = parseArgs({
        options: { out: { type: 'string' }, state: { type: 'string' }, take: { type: 'string', default: '100' } },
      }));
    } catch (e) {
      throw new SyncError(e.message);
    }
    if (!values.out) throw new SyncError('--out FILE is required');
    const take = Number(values.take);
    if (!Number.isInteger(take) || take < 1 || take > 100) throw new SyncError('--take must be between 1 and 100');
    const missing = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'].filter((v) => !process.env[v]);
    if (missing.length) throw new SyncError(`missing environment variable(s): ${missing.join(', ')}`);
    const base = baseUrl(process.env.AUTH0_DOMAIN);
    const audience = process.env.AUTH0_AUDIENCE || `${base}/api/v2/`;
    const api = new Auth0Logs(base, process.env.AUTH0_CLIENT_ID, process.env.AUTH0_CLIENT_SECRET, audience);
    const out = await open(values.out, 'a');
    try {
      stopped = await sync(api, out, values.state, take);
    } finally {
      await out.close();
    }
  } catch (e) {
    stopped = e instanceof SyncError ? `error: ${e.message}` : `error: ${e.name}: ${e.message}`;
  }
  if (stopped.startsWith('error')) console.error(stopped);
  const summary = {
    contender: CONTENDER,
    ...stats,
    seconds: elapsed(),
    stopped,
  };
  process.stdout.write(JSON.stringify(summary) + '\n');
  process.exitCode = stopped.startsWith('error') ? 1 : 0;
}

process.on('SIGINT', () => {
  // Let the summary say why it stopped; the checkpoint on disk is already consistent.
  console.error('error: interrupted');
  process.stdout.write(
    JSON.stringify({ contender: CONTENDER, ...stats, seconds: elapsed(), stopped: 'error: interrupted' }) + '\n',
  );
  process.exit(130);
});

await main();
