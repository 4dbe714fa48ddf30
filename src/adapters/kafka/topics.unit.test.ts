import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../config/index.js';
import { topicSpecs } from './client.js';

describe('escrow kafka create-topics: the deployment guide’s topics', () => {
  const config = loadConfig({ KAFKA_BROKERS: 'k1:9092,k2:9092' }).kafka!;
  const specs = topicSpecs(config);
  const byName = new Map(specs.map((t) => [t.topic, t]));
  const entry = (topic: string, name: string) => byName.get(topic)?.configEntries?.find((e) => e.name === name)?.value;

  it('commands 6 partitions, events 12, a DLQ for each, replication 3', () => {
    assert.deepEqual(
      specs.map((t) => [t.topic, t.numPartitions, t.replicationFactor]),
      [
        ['escrow-commands', 6, 3],
        ['escrow.events.v1', 12, 3],
        ['escrow-commands.dlq', 1, 3],
        ['escrow.events.v1.dlq', 1, 3],
      ],
    );
    assert.deepEqual(config.brokers, ['k1:9092', 'k2:9092']);
  });

  it('delete retention of 90 days and snappy on every topic — never compaction (it would erase history)', () => {
    for (const t of specs) {
      assert.equal(entry(t.topic, 'cleanup.policy'), 'delete');
      assert.equal(entry(t.topic, 'retention.ms'), String(90 * 86_400_000));
      assert.equal(entry(t.topic, 'compression.type'), 'snappy');
    }
  });

  it('SASL needs its credentials; topic names and sizes come from KAFKA_*', () => {
    assert.throws(() => loadConfig({ KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'plain' }), /KAFKA_SASL_USERNAME/);
    const c = loadConfig({
      KAFKA_BROKERS: 'k:9092',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: 'p',
      KAFKA_SSL_ENABLED: 'true',
      KAFKA_COMMANDS_TOPIC: 'cmds',
      KAFKA_EVENTS_PARTITIONS: '24',
    }).kafka!;
    assert.deepEqual(c.sasl, { mechanism: 'scram-sha-512', username: 'u', password: 'p' });
    assert.equal(c.ssl, true);
    assert.deepEqual(
      topicSpecs(c).map((t) => [t.topic, t.numPartitions]),
      [
        ['cmds', 6],
        ['escrow.events.v1', 24],
        ['cmds.dlq', 1],
        ['escrow.events.v1.dlq', 1],
      ],
    );
    assert.equal(loadConfig({}).kafka, undefined, 'embedded mode without KAFKA_BROKERS');
    assert.throws(() => loadConfig({ KAFKA_BROKERS: 'no-port' }), /KAFKA_BROKERS/);
  });
});
