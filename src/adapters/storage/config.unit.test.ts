import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { configureStorage, storageVariables } from './config.js';

describe('storage configuration', () => {
  const dev = { production: false, dataDir: './data' };
  const prod = { production: true, dataDir: '/var/lib/escrow' };
  const s3 = { AWS_S3_BUCKET: 'escrow-files', AWS_REGION: 'eu-west-1' };
  const problems = (raw: Record<string, string>, ctx = dev) => configureStorage(raw, ctx).problems.join('\n');

  it('defaults: a local directory under DATA_DIR, 10 MiB, the usual document types, 300 s URLs', () => {
    assert.deepEqual(configureStorage({}, prod), {
      settings: {
        kind: 'local',
        local: { dir: join('/var/lib/escrow', 'files') },
        s3: { bucket: '', region: '', endpoint: null, forcePathStyle: false },
        maxBytes: 10_485_760,
        allowedTypes: [
          'application/pdf',
          'image/png',
          'image/jpeg',
          'image/webp',
          'image/gif',
          'text/plain',
          'application/zip',
          'application/json',
        ],
        urlTtlSeconds: 300,
      },
      problems: [],
    });
    assert.equal(configureStorage({ FILES_DIR: '/srv/files' }, dev).settings.local.dir, '/srv/files');
  });

  it('a bucket selects S3 and needs its region; AWS itself uses virtual-hosted URLs', () => {
    const { settings, problems: none } = configureStorage(s3, prod);
    assert.deepEqual(none, []);
    assert.equal(settings.kind, 's3');
    assert.deepEqual(settings.s3, {
      bucket: 'escrow-files',
      region: 'eu-west-1',
      endpoint: null,
      forcePathStyle: false,
    });
    assert.match(problems({ AWS_S3_BUCKET: 'escrow-files' }), /^AWS_REGION: required when AWS_S3_BUCKET is set/);
    assert.match(problems({ ...s3, FILES_DIR: '/srv/files' }), /FILES_DIR: only used for local file storage/);
  });

  it('an S3-compatible endpoint: path-style by default (overridable), https in production', () => {
    const minio = { ...s3, AWS_ENDPOINT_URL: 'http://minio:9000' };
    assert.deepEqual(configureStorage(minio, dev).settings.s3, {
      bucket: 'escrow-files',
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
    assert.equal(problems(minio), '');
    assert.equal(
      configureStorage({ ...minio, AWS_S3_FORCE_PATH_STYLE: 'false' }, dev).settings.s3.forcePathStyle,
      false,
    );
    assert.equal(configureStorage({ ...s3, AWS_S3_FORCE_PATH_STYLE: 'true' }, dev).settings.s3.forcePathStyle, true);
    assert.match(problems(minio, prod), /AWS_ENDPOINT_URL: must be an https:\/\/ URL in production/);
    assert.equal(problems({ ...minio, AWS_ENDPOINT_URL: 'https://r2.example.com' }, prod), '');
  });

  it('S3 variables without a bucket are named, not ignored', () => {
    assert.match(problems({ AWS_ENDPOINT_URL: 'http://minio:9000' }), /AWS_ENDPOINT_URL: only used with AWS_S3_BUCKET/);
    assert.match(
      problems({ AWS_S3_FORCE_PATH_STYLE: 'true' }),
      /AWS_S3_FORCE_PATH_STYLE: only used with AWS_S3_BUCKET/,
    );
  });

  it('limits: the size is at most 100 MiB, URLs live at most an hour, types are MIME types', () => {
    assert.equal(configureStorage({ FILES_MAX_BYTES: '104857600' }, dev).settings.maxBytes, 104_857_600);
    assert.equal(problems({ FILES_MAX_BYTES: '104857600' }), '');
    assert.match(problems({ FILES_MAX_BYTES: '104857601' }), /FILES_MAX_BYTES: at most 104857600/);
    assert.equal(configureStorage({ FILES_URL_TTL_SECONDS: '3600' }, dev).settings.urlTtlSeconds, 3600);
    assert.match(problems({ FILES_URL_TTL_SECONDS: '3601' }), /FILES_URL_TTL_SECONDS: at most 3600/);
    assert.deepEqual(
      configureStorage({ FILES_ALLOWED_TYPES: ' Application/PDF, ,image/png ' }, dev).settings.allowedTypes,
      ['application/pdf', 'image/png'],
    );
    assert.match(problems({ FILES_ALLOWED_TYPES: 'pdf,image/png' }), /FILES_ALLOWED_TYPES: not MIME types \(pdf\)/);
    assert.match(problems({ FILES_ALLOWED_TYPES: ' , ' }), /FILES_ALLOWED_TYPES: empty/);
  });

  it('a malformed number keeps its default here (its variable schema reports it)', () => {
    const { settings } = configureStorage({ FILES_MAX_BYTES: '10MB', FILES_URL_TTL_SECONDS: '-5' }, dev);
    assert.equal(settings.maxBytes, 10_485_760);
    assert.equal(settings.urlTtlSeconds, 300);
  });

  it('variables: bucket names, regions, URLs, booleans, integers', () => {
    const ok = (name: keyof typeof storageVariables, v: string) => storageVariables[name].safeParse(v).success;
    assert.equal(ok('AWS_S3_BUCKET', 'escrow-files.prod'), true);
    assert.equal(ok('AWS_S3_BUCKET', 'Escrow_Files'), false);
    assert.equal(ok('AWS_S3_BUCKET', 'ab'), false);
    assert.equal(ok('AWS_REGION', 'eu-west-1'), true);
    assert.equal(ok('AWS_REGION', 'eu west'), false);
    assert.equal(ok('AWS_ENDPOINT_URL', 'http://minio:9000'), true);
    assert.equal(ok('AWS_ENDPOINT_URL', 'minio:9000'), false);
    assert.equal(ok('AWS_ENDPOINT_URL', 'ftp://minio'), false);
    assert.equal(ok('AWS_S3_FORCE_PATH_STYLE', 'yes'), false);
    assert.equal(ok('FILES_MAX_BYTES', '0'), false);
    assert.equal(ok('FILES_MAX_BYTES', '1.5'), false);
    assert.equal(ok('FILES_MAX_BYTES', '10485760'), true);
    assert.equal(ok('FILES_URL_TTL_SECONDS', '0'), false);
    assert.equal(ok('FILES_URL_TTL_SECONDS', '60'), true);
    assert.equal(ok('FILES_DIR', ''), false);
  });
});
