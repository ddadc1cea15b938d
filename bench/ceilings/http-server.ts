import Fastify from 'fastify';

/** C_http: a bare Fastify hello-world, the most any route on this machine can answer per second. */
const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
app.get('/health', async () => ({ status: 'ok' }));

app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' }).catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(0));
});
