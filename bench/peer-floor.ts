import { Agent, createServer, request } from 'node:http';

/**
 * The floor the peer benchmark measures gateways against: the least a Node.js gateway can do — node:http
 * server, JSON-parse the request body (a gateway must read it to route), re-serialise it, send it to the
 * vendor over a keep-alive node:http agent, and pipe the vendor's answer (JSON or SSE) back unchanged. No
 * auth, no counting, no routing, no log. `tollgate serve`'s CPU per request over this one's, measured in
 * the same run, is what Tollgate itself costs; the rest is Node's HTTP stack on this machine.
 *
 * Usage: `node dist/bench/peer-floor.js <port> <vendor base URL ending in /v1>`; `GET /healthz` answers ok.
 */
const port = Number(process.argv[2]);
const vendor = new URL(`${process.argv[3]!.replace(/\/+$/, '')}/chat/completions`);
const agent = new Agent({ keepAlive: true, maxSockets: 512 });

createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: string;
    try {
      body = JSON.stringify(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const up = request(vendor, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: 'Bearer sk-floor' } }, (vr) => {
      res.writeHead(vr.statusCode ?? 502, { 'content-type': vr.headers['content-type'] ?? 'application/json' });
      vr.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  });
}).listen(port, '127.0.0.1');
