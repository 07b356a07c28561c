package io.fluxgate.bootstrap;

import io.fluxgate.api.Caller;

/**
 * The signed-in user behind a request and the access token that vouches for it: bootstrap decides ownership of
 * configs from {@code caller}, and forwards the token so the things service decides ownership of things and channels
 * itself. The token is never printed.
 */
public record Requester(Caller caller, String accessToken) {

  @Override
  public String toString() {
    return "Requester[" + caller + "]";
  }
}
