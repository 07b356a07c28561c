package io.fluxgate.e2e;

import java.io.PrintWriter;

/** Shows where a run is: a redrawn bar on a terminal, one plain line per finished step elsewhere. */
final class Progress {

  private static final int WIDTH = 30;

  private final PrintWriter out;
  private final boolean terminal;
  private final CallTimings timings;
  private final int steps;
  private int done;

  Progress(PrintWriter out, boolean terminal, CallTimings timings, int steps) {
    this.out = out;
    this.terminal = terminal;
    this.timings = timings;
    this.steps = steps;
  }

  void starting(String step) {
    if (terminal) {
      int filled = WIDTH * done / steps;
      out.print("\r[" + "#".repeat(filled) + " ".repeat(WIDTH - filled) + "] " + done + "/" + steps + " "
          + String.format("%-28s", step) + " " + timings.total() + " calls");
      out.flush();
    }
  }

  void finished(String step, long millis) {
    done++;
    if (!terminal) {
      out.println("e2e: " + step + " done in " + millis + " ms (" + timings.total() + " calls so far)");
    } else if (done == steps) {
      out.print("\r" + " ".repeat(WIDTH + 60) + "\r");
      out.flush();
    }
  }

  void failed() {
    if (terminal) {
      out.println();
    }
  }
}
