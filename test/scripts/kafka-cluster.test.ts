/**
 * The multi-node cluster settings of scripts/kafka/cluster.mjs (the real cluster is exercised by the witness
 * scenario (g)): ports, quorum voters and replication defaults per node, and that the single broker's defaults
 * are untouched by it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { clusterSettings, nodeProperties, startCluster } from '../../scripts/kafka/cluster.mjs';
import { brokerSettings } from '../../scripts/kafka/lib.mjs';

const props = (text: string): Map<string, string> =>
  new Map(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

describe('kafka cluster script', () => {
  it('gives each of N nodes its own client and controller port, dir and a shared N-voter quorum', () => {
    const s = clusterSettings({ brokers: 3, env: {} });
    expect(s.nodes.map((n) => [n.id, n.port, n.controllerPort])).toEqual([
      [1, 29092, 29093],
      [2, 29094, 29095],
      [3, 29096, 29097],
    ]);
    expect(s.bootstrap).toBe('127.0.0.1:29092,127.0.0.1:29094,127.0.0.1:29096');
    expect(new Set(s.nodes.map((n) => n.dataDir)).size).toBe(3);
    expect(s.dir.endsWith('.kafka-cluster')).toBe(true);
    const node2 = props(nodeProperties(s, s.nodes[1]!));
    expect(node2.get('node.id')).toBe('2');
    expect(node2.get('process.roles')).toBe('broker,controller');
    expect(node2.get('controller.quorum.voters')).toBe('1@127.0.0.1:29093,2@127.0.0.1:29095,3@127.0.0.1:29097');
    expect(node2.get('listeners')).toBe('PLAINTEXT://127.0.0.1:29094,CONTROLLER://127.0.0.1:29095');
    expect(node2.get('log.dirs')).toBe(s.nodes[1]!.dataDir);
    expect(node2.get('default.replication.factor')).toBe('3');
    expect(node2.get('min.insync.replicas')).toBe('2');
    expect(node2.get('offsets.topic.replication.factor')).toBe('3');
    expect(node2.get('unclean.leader.election.enable')).toBe('false');
  });

  it('takes its port, dir, heap and size from the environment, and refuses nonsense', () => {
    const s = clusterSettings({ env: { KAFKA_CLUSTER_BROKERS: '5', KAFKA_CLUSTER_PORT: '30000', KAFKA_CLUSTER_DIR: '/tmp/x-cluster', KAFKA_CLUSTER_HEAP: '384m' } });
    expect(s.brokers).toBe(5);
    expect(s.nodes[4]!.port).toBe(30008);
    expect(s.dir).toBe('/tmp/x-cluster');
    expect(s.heap).toBe('384m');
    expect(s.replicationFactor).toBe(3);
    expect(clusterSettings({ brokers: 2, env: {} }).minInsyncReplicas).toBe(1);
    expect(() => clusterSettings({ brokers: 0, env: {} })).toThrow(/1\.\.9/);
    expect(() => clusterSettings({ env: { KAFKA_CLUSTER_PORT: 'x' } })).toThrow(/KAFKA_CLUSTER_PORT/);
  });

  it('leaves the single broker on 19092 in .kafka as it was', () => {
    const single = brokerSettings({});
    expect(single.bootstrap).toBe('127.0.0.1:19092');
    expect(single.dir.endsWith('.kafka')).toBe(true);
    for (const n of clusterSettings({ brokers: 3, env: {} }).nodes) expect([n.port, n.controllerPort]).not.toContain(19092);
  });

  it('refuses to start over the data of a cluster of another size', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'eventgen-cluster-'));
    try {
      writeFileSync(path.join(dir, 'cluster.json'), JSON.stringify({ clusterId: 'x', brokers: 5, basePort: 29092 }));
      await expect(startCluster({ brokers: 3, env: { KAFKA_CLUSTER_DIR: dir } })).rejects.toThrow(/5-node cluster.*--clean/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
