// The product version: package.json's, read at run time so that the image (dist/ beside
// package.json, as deploy/Containerfile lays it out) and a checkout (src/) report the same one.
import { readFileSync } from 'node:fs';

// src/cli/ and dist/cli/ are both two levels below the package root.
const packageJson = new URL('../../package.json', import.meta.url);

export const productVersion: string = (
  JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string }
).version;
