// Starts a TypeScript module as a worker thread: Node 20 workers do not inherit tsx's loader
// hooks (an --import in execArgv is not applied), so the worker registers tsx itself first.
import { Worker } from 'node:worker_threads';

export const startTsWorker = (module: URL): Worker => {
  const tsx = import.meta.resolve('tsx/esm/api');
  const source = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}); })`;
  return new Worker(source, { eval: true });
};
