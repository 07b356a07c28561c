package io.fluxgate.e2e;

/** A call of the end-to-end run that did not answer as the platform promises; its message names the call. */
public final class CallFailed extends RuntimeException {

  CallFailed(String message) {
    super(message, null, false, false);
  }
}
