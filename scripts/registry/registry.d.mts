export function registrySettings(env?: NodeJS.ProcessEnv): { host: string; port: number; managementPort: number; dir: string; appDir: string; jar: string; pidFile: string; logFile: string; heap: string; startTimeoutMs: number; url: string };
export function registryAnswers(url: string, timeoutMs?: number): Promise<boolean>;
export function registryStatus(env?: NodeJS.ProcessEnv): Promise<{ running: boolean; ready: boolean; pid: number | undefined; url: string }>;
export function startRegistry(env?: NodeJS.ProcessEnv): Promise<{ started: boolean; url: string; pid: number; ms: number }>;
export function stopRegistry(env?: NodeJS.ProcessEnv): Promise<{ stopped: boolean }>;
export const APICURIO_VERSION: string;
