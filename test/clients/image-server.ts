// A loopback HTTP server with one ISO-like image (an ISO 9660 primary volume descriptor at
// sector 16), so the simulated CDI importer really downloads what a client inserted, and the test
// can see that it did.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ImageServer {
  /** URL of the image. */
  readonly imageUrl: string;
  readonly base: string;
  /** Requests received: path and User-Agent. */
  readonly requests: { path: string; userAgent: string | undefined }[];
  close(): Promise<void>;
}

const sector = 2048;

/** 18 sectors: system area, the primary volume descriptor, the set terminator. */
const isoImage = (): Buffer => {
  const image = Buffer.alloc(18 * sector);
  const pvd = 16 * sector;
  image[pvd] = 1;
  image.write('CD001', pvd + 1, 'ascii');
  image[pvd + 6] = 1;
  image.write('IRONIC_RAMDISK'.padEnd(32, ' '), pvd + 40, 'ascii');
  image[pvd + sector] = 255;
  image.write('CD001', pvd + sector + 1, 'ascii');
  return image;
};

export const startImageServer = async (name = 'ironic-ramdisk.iso'): Promise<ImageServer> => {
  const image = isoImage();
  const requests: { path: string; userAgent: string | undefined }[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push({ path, userAgent: request.headers['user-agent'] });
    if (path !== `/images/${name}`) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, {
      'Content-Type': 'application/x-iso9660-image',
      'Content-Length': String(image.length),
    });
    response.end(request.method === 'HEAD' ? undefined : image);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    imageUrl: `${base}/images/${name}`,
    base,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
