/** The part of s3rver (an S3-compatible server for tests, no types of its own) the S3 adapter's tests use. */
declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  interface S3rverOptions {
    address?: string;
    /** 0: an ephemeral port. */
    port?: number;
    silent?: boolean;
    /** Where the buckets are kept. */
    directory?: string;
    resetOnClose?: boolean;
    configureBuckets?: { name: string; configs?: string[] }[];
  }

  export default class S3rver {
    constructor(options?: S3rverOptions);
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}
