import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = join(fileURLToPath(new URL('.', import.meta.url)), 'fixtures');

/**
 * Serves e2e/fixtures/*.html on its own loopback origin, as a host site would: the pages load
 * parley.js from the Parley server (`%PARLEY_URL%` in a page is replaced by its address).
 */
export async function startFixtureServer(parleyUrl: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const name = new URL(request.url ?? '/', 'http://fixture').pathname.slice(1);
    if (!/^[a-z0-9-]+\.html$/.test(name)) {
      response.writeHead(404).end('not found');
      return;
    }
    readFile(join(fixtures, name), 'utf8').then(
      (page) => {
        const headers: Record<string, string> = { 'content-type': 'text/html; charset=utf-8' };
        // A strict policy that allows only the Parley origin for scripts and connections.
        if (name === 'csp-strict.html') {
          const ws = parleyUrl.replace(/^http/, 'ws');
          headers['content-security-policy'] =
            `default-src 'none'; script-src ${parleyUrl}; connect-src ${parleyUrl} ${ws}; ` +
            `img-src 'none'; style-src 'none'; base-uri 'none'; form-action 'none'`;
        }
        response.writeHead(200, headers);
        response.end(page.replaceAll('%PARLEY_URL%', parleyUrl));
      },
      () => response.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('fixture server has no address');
  return { url: `http://127.0.0.1:${address.port}`, server };
}
