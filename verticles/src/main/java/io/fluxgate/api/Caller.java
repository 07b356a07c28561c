package io.fluxgate.api;

/** The signed-in user behind a request, as the users service vouches for it. */
public record Caller(String id, boolean admin) {

  /** Whether this caller may work on what {@code owner} owns: its own things, or anything for an administrator. */
  public boolean owns(String owner) {
    return admin || id.equals(owner);
  }
}
