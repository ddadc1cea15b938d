import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

/**
 * C_sio: a bare Socket.IO server (no Nest, no database, no Redis) doing what Parley's gateway does per message:
 * acknowledge the sender with a message-shaped object and broadcast it to the room. Clients pass the rooms
 * to join as their `auth.token` (comma-separated), so the room layout matches the scenario's.
 */
const port = Number(process.env.PORT ?? 0);
const http = createServer((request, response) => {
  if (request.url === '/health') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    return;
  }
  response.writeHead(404).end();
});
const io = new Server(http, { transports: ['websocket'], serveClient: false });
const seqs = new Map<string, number>();

interface SendPayload {
  roomId: string;
  clientMessageId: string;
  content: string;
}

io.on('connection', (socket) => {
  const token = (socket.handshake.auth as { token?: string }).token ?? '';
  void socket.join(token.split(',').filter(Boolean));
  socket.on('message:send', (payload: SendPayload, ack?: (response: unknown) => void) => {
    const seq = (seqs.get(payload.roomId) ?? 0) + 1;
    seqs.set(payload.roomId, seq);
    const message = {
      id: randomUUID(),
      roomId: payload.roomId,
      seq,
      rev: seq,
      senderId: socket.id,
      clientMessageId: payload.clientMessageId,
      content: payload.content,
      parentId: null,
      threadReplyCount: 0,
      attachments: [],
      reactions: [],
      mentions: [],
      createdAt: new Date().toISOString(),
      editedAt: null,
      deletedAt: null,
    };
    ack?.({ ok: true, data: message });
    io.to(payload.roomId).emit('message:created', message);
  });
});

http.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  void io.close();
  process.exit(0);
});
