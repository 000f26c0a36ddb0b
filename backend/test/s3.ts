/**
 * An S3-compatible server in this process (s3rver, on a folder), for cluster mode in tests, the
 * bench and `npm run cluster`. It does not check request signatures: download permissions are
 * tested on Parley's own signed URLs.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { S3Config } from '../src/config.js';

/** The little of s3rver 3.7 (CommonJS, without types) used here. */
type S3rverClass = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => { run(): Promise<AddressInfo>; close(): Promise<void> };
const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;

export interface TestS3 {
  /** The FILE_STORAGE=s3 settings that reach it. */
  config: S3Config;
  /** The same as environment variables (for server processes). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startS3(directory: string, bucket = 'parley-files', port = 0): Promise<TestS3> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({
    address: '127.0.0.1',
    port,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const config: S3Config = {
    endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    forcePathStyle: true,
    prefix: 'parley/',
  };
  return {
    config,
    env: {
      FILE_STORAGE: 's3',
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: '1',
    },
    close: () => server.close(),
  };
}
