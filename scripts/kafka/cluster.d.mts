/** Types of cluster.mjs for TypeScript callers (tests). */
type Env = Record<string, string | undefined>;
type Log = (line: string) => void;
export interface ClusterNode {
  id: number; port: number; controllerPort: number; bootstrap: string; dir: string; dataDir: string; logsDir: string; pidFile: string; propertiesFile: string;
}
export interface ClusterSettings {
  brokers: number; host: string; basePort: number; dir: string; nodes: ClusterNode[]; stateFile: string; heap: string; startTimeoutMs: number;
  bootstrap: string; replicationFactor: number; minInsyncReplicas: number;
}
interface ClusterOptions { brokers?: number; env?: Env }
export function clusterSettings(options?: ClusterOptions): ClusterSettings;
export function nodeProperties(settings: ClusterSettings, node: ClusterNode): string;
export function reportedBrokers(bootstrap: string, timeoutMs?: number): Promise<number>;
export function clusterStatus(options?: ClusterOptions): Promise<{
  brokers: number; bootstrap: string; dir: string; ready: boolean;
  nodes: Array<{ id: number; bootstrap: string; pid: number | undefined; running: boolean; reported: number; dir: string }>;
}>;
export function startCluster(options?: ClusterOptions & { log?: Log }): Promise<{ started: number[]; bootstrap: string; nodes: Array<{ id: number; pid: number | undefined; bootstrap: string }>; ms: number }>;
export function stopCluster(options?: ClusterOptions & { log?: Log; clean?: boolean }): Promise<{ stopped: number[] }>;
export function killNode(id: number | string, options?: ClusterOptions & { signal?: NodeJS.Signals }): Promise<{ pid: number }>;
export function startNode(id: number | string, options?: ClusterOptions & { log?: Log }): Promise<{ pid: number; ms: number }>;
export function partitionLeader(topic: string, partition: number | string, options?: ClusterOptions): Promise<number>;
