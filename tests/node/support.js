'use strict';
// Starts cos-ci-mock with its defaults and hands out official Node SDK clients pointed at it.
//
// The mock binary comes from COS_CI_MOCK_BIN (`cargo xtask test` sets it). Each test file
// starts its own mock with `--listen 127.0.0.1:0` and nothing else, so every test runs against
// the mock's defaults: SecretId AKIDEXAMPLE, SecretKey example-secret, bucket
// examplebucket-1250000000, region ap-guangzhou, signatures verified.
//
// Every suite runs twice, once per way the SDK can be pointed at a local server:
//   ip      new COS({Ip: '127.0.0.1:PORT'}): the request goes to the IP, the SDK keeps the
//           virtual-hosted `Host: <bucket>.cos.<region>.myqcloud.com` and signs it.
//   domain  new COS({Domain: '127.0.0.1:PORT'}): no bucket anywhere in the request; the SDK
//           sends and signs `Host: 127.0.0.1:PORT`.

const { spawn } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const zlib = require('node:zlib');

const COS = require('cos-nodejs-sdk-v5');

// The mock's defaults (DESIGN.md "Contracts"): the tests pass no flags that change them.
const SECRET_ID = 'AKIDEXAMPLE';
const SECRET_KEY = 'example-secret';
const BUCKET = 'examplebucket-1250000000';
const REGION = 'ap-guangzhou';
const HOST = `${BUCKET}.cos.${REGION}.myqcloud.com`;

// Milliseconds to wait for the `listening on` line, for one SDK request, and for the mock to exit.
const STARTUP_TIMEOUT = 60_000;
const REQUEST_TIMEOUT = 30_000;
const SHUTDOWN_TIMEOUT = 10_000;

const MODES = ['ip', 'domain'];
const LISTENING = /^listening on http:\/\/([^\s:]+):(\d+)\s*$/;

function mockBinary() {
  const bin = process.env.COS_CI_MOCK_BIN;
  if (!bin) {
    throw new Error(
      'COS_CI_MOCK_BIN is not set: run `cargo xtask test`, or build the mock with ' +
        '`cargo build -p cos-ci-mock --bin cos-ci-mock` and set COS_CI_MOCK_BIN to target/debug/cos-ci-mock'
    );
  }
  fs.accessSync(bin, fs.constants.X_OK);
  return bin;
}

/** A running cos-ci-mock: `host`, `port`, `stop()`, `kill()` and the end of its log. */
class Mock {
  constructor(proc, host, port, logPath) {
    this.proc = proc;
    this.host = host;
    this.port = port;
    this.logPath = logPath;
  }

  get endpoint() {
    return `http://${this.host}:${this.port}`;
  }

  logTail(lines = 20) {
    try {
      const text = fs.readFileSync(this.logPath, 'utf8').replace(/\x1b\[[0-9;]*m/g, '');
      return text.split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** Stops the mock: SIGTERM, then SIGKILL if it does not exit in time. */
  async stop() {
    await this.signal('SIGTERM');
  }

  /** Kills the mock with SIGKILL (a crash, as far as the mock can tell). */
  async kill() {
    await this.signal('SIGKILL');
  }

  async signal(sig) {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    const exited = new Promise((resolve) => this.proc.once('exit', resolve));
    this.proc.kill(sig);
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), SHUTDOWN_TIMEOUT);
    await exited;
    clearTimeout(timer);
  }
}

/** Starts `cos-ci-mock --listen 127.0.0.1:0 [args]`; resolves once /_mock/health answers 200. */
async function startMock(args = []) {
  const bin = mockBinary();
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-ci-mock-'));
  const logPath = path.join(logDir, 'stderr.log');
  const log = fs.openSync(logPath, 'w');
  const proc = spawn(bin, ['--listen', '127.0.0.1:0', ...args], {
    stdio: ['ignore', 'pipe', log],
    // One log line per request (id, action, status, error code) for failure reports.
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' },
  });
  fs.closeSync(log);
  const lines = readline.createInterface({ input: proc.stdout });
  const first = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`cos-ci-mock printed nothing within ${STARTUP_TIMEOUT} ms`)),
      STARTUP_TIMEOUT
    );
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`cos-ci-mock exited (${code ?? sig}) before listening`));
    });
    proc.once('error', reject);
  });
  // Keep draining stdout so the mock can never block on a full pipe.
  proc.stdout.resume();
  let mock;
  try {
    const line = await first;
    const m = LISTENING.exec(line);
    if (!m) throw new Error(`unexpected first line from cos-ci-mock: ${JSON.stringify(line)}`);
    mock = new Mock(proc, m[1], Number(m[2]), logPath);
    const health = await rawRequest(mock, { method: 'GET', path: '/_mock/health' });
    if (health.status !== 200) throw new Error(`/_mock/health answered ${health.status}`);
  } catch (e) {
    proc.kill('SIGKILL');
    const tail = new Mock(proc, '', 0, logPath).logTail();
    throw new Error(`cannot start ${bin}: ${e.message}\n--- mock stderr ---\n${tail}`);
  }
  return mock;
}

/** One plain HTTP request to the mock (no SDK): `{status, headers, body}`. */
function rawRequest(mock, { method, path: urlPath, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: mock.host, port: mock.port, method, path: urlPath, headers, timeout: REQUEST_TIMEOUT },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      }
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** The COS client a user would construct to reach the mock in `mode`. */
function client(mock, mode, options = {}) {
  const common = {
    SecretId: SECRET_ID,
    SecretKey: SECRET_KEY,
    Protocol: 'http:',
    Timeout: REQUEST_TIMEOUT,
    // The SDK caches upload ids on disk for resuming; keep that cache out of $HOME.
    ConfCwd: tempDir(),
    ...options,
  };
  if (mode === 'ip') return new COS({ Ip: `${mock.host}:${mock.port}`, ...common });
  if (mode === 'domain') return new COS({ Domain: `${mock.host}:${mock.port}`, ...common });
  throw new Error(`unknown mode ${mode}`);
}

/** Calls a callback-style SDK method and resolves with its data (rejects with its error). */
function call(cos, method, params) {
  return new Promise((resolve, reject) => {
    cos[method]({ Bucket: BUCKET, Region: REGION, ...params }, (err, data) => (err ? reject(err) : resolve(data)));
  });
}

/** The SDK error `promise` rejects with (fails if it resolves). */
async function sdkError(promise) {
  try {
    const data = await promise;
    throw new Error(`expected an error, got ${JSON.stringify(data && data.statusCode)}`);
  } catch (e) {
    if (e.statusCode === undefined) throw e;
    return e;
  }
}

let tempRoot;
/** A fresh directory under one per-process temporary root (removed at exit). */
function tempDir() {
  if (!tempRoot) {
    tempRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'cos-ci-node-'));
    process.on('exit', () => fs.rmSync(tempRoot, { recursive: true, force: true }));
  }
  return fs.mkdtempSync(path.join(tempRoot, 'd-'));
}

/** `size` deterministic pseudo-random bytes (seeded), so a wrong offset shows as a wrong byte. */
function bytes(size, seed = 1) {
  const out = Buffer.alloc(size);
  let block = Buffer.alloc(0);
  let counter = 0;
  for (let at = 0; at < size; at += block.length) {
    block = crypto.createHash('sha256').update(`${seed}:${counter++}`).digest();
    block.copy(out, at, 0, Math.min(block.length, size - at));
  }
  return out;
}

/** Writes `data` to a new file in a temporary directory and returns its path. */
function tempFile(data, name = 'file.bin') {
  const file = path.join(tempDir(), name);
  fs.writeFileSync(file, data);
  return file;
}

const md5Hex = (data) => crypto.createHash('md5').update(data).digest('hex');
const md5ETag = (data) => `"${md5Hex(data)}"`;

/** The ETag COS gives an object made of `parts`: md5 of the parts' binary md5s, `-<count>`. */
function multipartETag(parts) {
  const digests = Buffer.concat(parts.map((p) => crypto.createHash('md5').update(p).digest()));
  return `"${md5Hex(digests)}-${parts.length}"`;
}

/** Splits `data` into parts of `size` bytes (the last one shorter). */
function split(data, size) {
  const parts = [];
  for (let at = 0; at < data.length; at += size) parts.push(data.subarray(at, at + size));
  return parts;
}

// ------------------------------------------------------------------------------------------
// Minimal PNG writer and header reader (8-bit RGB, no filters): the CI calls need images and
// Node has no imaging library, so the tests make and measure their own.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An RGB PNG full of fine detail (the same pattern the Python suite uses). */
function texturedPng(width, height) {
  const raw = Buffer.alloc(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + 3 * width);
    raw[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      raw[row + 1 + 3 * x] = (x * 37 + y * 11) % 256;
      raw[row + 2 + 3 * x] = (x * x + y * 7) % 256;
      raw[row + 3 + 3 * x] = ((x * 5) ^ (y * 13)) % 256;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** `{width, height}` from a PNG's IHDR; throws if `data` is not a PNG. */
function pngSize(data) {
  const signature = '89504e470d0a1a0a';
  if (data.length < 24 || data.subarray(0, 8).toString('hex') !== signature || data.toString('ascii', 12, 16) !== 'IHDR') {
    throw new Error(`not a PNG: ${data.subarray(0, 16).toString('hex')}`);
  }
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

module.exports = {
  BUCKET,
  HOST,
  MODES,
  REGION,
  bytes,
  call,
  client,
  md5ETag,
  md5Hex,
  multipartETag,
  pngSize,
  rawRequest,
  sdkError,
  split,
  startMock,
  tempDir,
  tempFile,
  texturedPng,
};
