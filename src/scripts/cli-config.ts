import { AppConfig, ConfigError, loadConfig } from '../config/config';

/** Loads config for the server or a CLI script, turning a bad variable into one clear line and exit code 1. */
export function cliConfig(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`Invalid configuration: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
