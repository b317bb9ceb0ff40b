'use strict';
// Preloaded into the Node programs LocalStack starts (NODE_OPTIONS=--require,
// set by infra/local/localstack.sh): kinesis-mock, LocalStack's Kinesis and so
// its DynamoDB Streams, listens on every interface and answers any web page
// (Access-Control-Allow-Origin: *), with no option against either.
//
// - A TCP server that asks for every interface (no host, 0.0.0.0 or ::)
//   listens on 127.0.0.1.
// - The first request of each connection to it is read before the server
//   sees it: one a browser sends for a web page (the rule of
//   infra/local/guard/Refusal.java: a CORS preflight, an Origin header, a
//   cross-site Sec-Fetch-Site, a Host that is not a loopback name) gets 403,
//   without CORS headers, and the connection is closed. A browser shares a
//   connection with no other client and sends these headers with each
//   request, so the first request speaks for the connection. A TLS
//   connection (first byte 0x16) passes: browsers refuse kinesis-mock's
//   self-signed certificate.

const net = require('net');

const LOOPBACK = '127.0.0.1';
const MAX_HEAD = 64 * 1024;
const LOCALSTACK_HOSTNAME = 'localhost.localstack.cloud';
const UNSPECIFIED = new Set(['', '0.0.0.0', '::', '[::]', '0:0:0:0:0:0:0:0']);

function portOnly(s) {
  return s === '' || /^:\d+$/.test(s);
}

// loopbackHost: localhost, 127.x.y.z, [::1], or localhost.localstack.cloud and
// the names under it, with or without a port.
function loopbackHost(hostport) {
  const h = hostport.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 && h.slice(1, end) === '::1' && portOnly(h.slice(end + 1));
  }
  const colon = h.indexOf(':');
  const name = colon < 0 ? h : h.slice(0, colon);
  if (colon >= 0 && !portOnly(h.slice(colon))) {
    return false;
  }
  if (name === 'localhost' || name === LOCALSTACK_HOSTNAME || name.endsWith('.' + LOCALSTACK_HOSTNAME)) {
    return true;
  }
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  return m !== null && m.slice(1).every((g) => Number(g) <= 255);
}

// refusal says why a request is refused, or null when it may pass.
function refusal(method, headers) {
  if (method.toUpperCase() === 'OPTIONS') {
    return 'CORS preflight refused: this local emulator serves no web page';
  }
  if (headers.has('origin')) {
    return 'request with an Origin header refused: this local emulator serves no web page';
  }
  const site = headers.get('sec-fetch-site');
  if (site !== undefined && !['same-origin', 'none'].includes(site.toLowerCase())) {
    return `request with Sec-Fetch-Site: ${site} refused: this local emulator serves no web page`;
  }
  const host = headers.get('host');
  if (host && !loopbackHost(host)) {
    return `Host ${host} refused: this local emulator answers loopback names only`;
  }
  return null;
}

// parseHead reads the method and the headers (names in lower case) of a
// request's head.
function parseHead(text) {
  const lines = text.split('\r\n');
  const method = (lines[0] || '').split(' ')[0];
  const headers = new Map();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
  }
  return { method, headers };
}

function refuse(socket, why) {
  const body = Buffer.from(why + '\n', 'utf8');
  socket.end(
    'HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n` + body.toString('utf8'),
  );
}

// inspect reads the connection's first request head, refuses it or puts it
// back and hands the socket to the server. It reads with a 'readable'
// listener: once removed, the socket is as new to the server (data buffered,
// flowing unset).
function inspect(socket, deliver) {
  let head = Buffer.alloc(0);
  const ignore = () => {};
  const onReadable = () => {
    let chunk;
    while ((chunk = socket.read()) !== null) {
      head = Buffer.concat([head, chunk]);
    }
    if (head.length === 0) {
      return;
    }
    let why = null;
    if (head[0] !== 0x16) {
      const end = head.indexOf('\r\n\r\n');
      if (end < 0 && head.length < MAX_HEAD) {
        return;
      }
      const { method, headers } = parseHead(head.subarray(0, end < 0 ? head.length : end).toString('latin1'));
      why = refusal(method, headers);
    }
    socket.removeListener('readable', onReadable);
    socket.removeListener('error', ignore);
    if (why !== null) {
      refuse(socket, why);
      return;
    }
    socket.unshift(head);
    process.nextTick(deliver, socket);
  };
  socket.on('error', ignore);
  socket.on('readable', onReadable);
}

function loopbackArgs(args) {
  const [first, second] = args;
  if (first !== null && typeof first === 'object' && first.port !== undefined && first.path === undefined) {
    if (first.host === undefined || UNSPECIFIED.has(String(first.host))) {
      return [{ ...first, host: LOOPBACK }, ...args.slice(1)];
    }
    return args;
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof second === 'string') {
      return UNSPECIFIED.has(second) ? [first, LOOPBACK, ...args.slice(2)] : args;
    }
    return [first, LOOPBACK, ...args.slice(1)];
  }
  return args; // a Unix socket path or a handle: no network
}

function isTCP(args) {
  const [first] = args;
  return typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)) ||
    (first !== null && typeof first === 'object' && first.port !== undefined && first.path === undefined);
}

const GUARDED = Symbol('paylinks guard');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function guardedListen(...args) {
  if (isTCP(args) && !this[GUARDED]) {
    this[GUARDED] = true;
    const emit = this.emit;
    this.emit = function guardedEmit(event, ...rest) {
      if (event !== 'connection') {
        return emit.call(this, event, ...rest);
      }
      inspect(rest[0], (socket) => emit.call(this, 'connection', socket));
      return true;
    };
  }
  return listen.apply(this, loopbackArgs(args));
};
