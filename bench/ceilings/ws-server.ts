import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

/** ws_idle: a bare `ws` server that holds idle connections, the floor for what one socket can cost. */
const http = createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  response.writeHead(404).end();
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
wss.on('connection', (socket) => {
  socket.on('error', () => socket.terminate());
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  wss.close();
  process.exit(0);
});
