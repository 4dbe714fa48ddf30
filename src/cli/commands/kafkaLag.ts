import type { Command } from 'commander';
import { consumerLag } from '../../adapters/kafka/client.js';
import { exitWith, type CliContext } from '../context.js';
import { EXIT } from '../exitCodes.js';
import { documented } from '../help.js';
import { kafkaFor } from '../kafka.js';
import { jsonOption } from '../output.js';

/** `escrow kafka lag`: how far the worker group is behind on the commands topic. */
export function registerKafkaLag(kafkaGroup: Command, ctx: CliContext): void {
  const cmd = kafkaGroup
    .command('lag')
    .description("the worker group's lag on the commands topic, per partition")
    .addOption(jsonOption());
  documented(cmd, {
    examples: ['escrow kafka lag', "escrow kafka lag | jq '.total'"],
    output: 'JSON on stdout: {"group", "topic", "total", "partitions": [{"partition", "committed", "high", "lag"}]}',
    notes: ['Needs KAFKA_BROKERS (a usage error without it).'],
  });
  cmd.action(
    exitWith(ctx, async () => {
      const { kafka, settings } = kafkaFor(cmd, ctx.config());
      const admin = kafka.admin();
      await admin.connect();
      const partitions = await consumerLag(admin, settings.groupId, settings.commandsTopic).finally(() =>
        admin.disconnect(),
      );
      ctx.print({
        group: settings.groupId,
        topic: settings.commandsTopic,
        total: partitions.reduce((n, p) => n + p.lag, 0),
        partitions,
      });
      return EXIT.ok;
    }),
  );
}
