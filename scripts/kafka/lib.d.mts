/** Types of lib.mjs for TypeScript callers (vitest global set-up, tests). */
export interface BrokerSettings {
  host: string; port: number; controllerPort: number; dir: string; brokerDir: string; dataDir: string; logsDir: string;
  pidFile: string; propertiesFile: string; classpathFile: string; heap: string; startTimeoutMs: number; bootstrap: string;
}
type Env = Record<string, string | undefined>;
type Log = (line: string) => void;
export const ROOT: string;
export const SCRIPT_DIR: string;
export const KAFKA_VERSION: string;
export function brokerSettings(env?: Env): BrokerSettings;
export function ensureClasspath(options?: { log?: Log; env?: Env }): string;
export function runKafkaClass(className: string, args?: string[], options?: { stdio?: 'inherit' | 'pipe' | 'ignore'; env?: Env; log?: Log }): Promise<number>;
export function brokerAnswers(bootstrap: string, timeoutMs?: number): Promise<boolean>;
export function brokerStatus(options?: { env?: Env }): Promise<{ running: boolean; ready: boolean; pid: number | undefined; bootstrap: string; dir: string }>;
export function startBroker(options?: { log?: Log; env?: Env }): Promise<{ started: boolean; bootstrap: string; pid: number | undefined; ms: number }>;
export function stopBroker(options?: { log?: Log; env?: Env; clean?: boolean }): Promise<{ stopped: boolean }>;
export function isOurProcess(pid: number | undefined, marker: string): boolean;
export function tail(text: string, lines?: number): string;
export function javaBinary(env?: Env): string;
export function newClusterId(): string;
export function readPid(file: string): number | undefined;
export function portInUse(host: string, port: number): Promise<boolean>;
export function fileTail(file: string, lines?: number): string;
export function stopPid(pid: number | undefined, marker: string, timeoutMs: number): Promise<boolean>;
export function redisSettings(options?: { port?: number | string; env?: Env }): { host: string; port: number; dir: string; pidFile: string; logFile: string; url: string };
export function redisAnswers(port: number, host?: string, timeoutMs?: number): Promise<boolean>;
export function startRedis(options?: { port?: number | string; env?: Env; log?: Log }): Promise<{ started: boolean; port: number; url: string; pid?: number }>;
export function stopRedis(options?: { port?: number | string; env?: Env; log?: Log }): Promise<{ stopped: boolean }>;
