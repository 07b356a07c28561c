package io.fluxgate.sql;

import java.util.List;

/** One page of a listing and how many items match in all. */
public record Page<T>(List<T> items, long total) {}
