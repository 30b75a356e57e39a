// A progress bar for long imports, drawn only on a terminal (never into logs or pipes).

export interface Progress {
  update(done: number, total: number): void;
  finish(): void;
}

const WIDTH = 30;

export function progressBar(stream: NodeJS.WriteStream): Progress {
  if (!stream.isTTY) return { update: () => undefined, finish: () => undefined };
  let drawn = false;
  return {
    update(done, total) {
      const ratio = total ? done / total : 1;
      const filled = Math.round(ratio * WIDTH);
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total} ${Math.floor(ratio * 100)}%`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
    },
  };
}
