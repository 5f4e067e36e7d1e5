"""The road network between sensors, from the adjacency matrix: who is upstream, downstream, closest. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Network:
    """Link weights between the panel's sensors, in the panel's order; weights[i, j] is the link i -> j."""

    weights: np.ndarray  # N x N, zero diagonal

    @property
    def directed(self) -> bool:
        """Whether the matrix tells up- from downstream (METR-LA's published matrix is symmetric: it does not)."""
        return not np.allclose(self.weights, self.weights.T)

    def upstream_mix(self) -> np.ndarray:
        """Row-normalized weights of the sensors feeding each sensor (i -> s): mix[s, i]."""
        return _row_normalized(self.weights.T)

    def downstream_mix(self) -> np.ndarray:
        """Row-normalized weights of the sensors each sensor feeds (s -> j): mix[s, j]."""
        return _row_normalized(self.weights)

    def adjacent_mix(self) -> np.ndarray:
        """Row-normalized weights of linked sensors in either direction."""
        return _row_normalized(np.maximum(self.weights, self.weights.T))

    def closest(self, k: int) -> np.ndarray:
        """The k most strongly linked sensors of each sensor (N x k indices; a sensor with fewer links repeats itself)."""
        both = np.maximum(self.weights, self.weights.T)
        order = np.argsort(-both, axis=1, kind="stable")[:, :k]
        strongest = np.take_along_axis(both, order, axis=1)
        own = np.arange(len(both))[:, None]
        chosen = np.where(strongest > 0, order, own)
        return np.hstack([chosen, np.repeat(own, k - chosen.shape[1], axis=1)])  # fewer sensors than k: pad with itself


def _row_normalized(matrix: np.ndarray) -> np.ndarray:
    totals = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)


def network_for(sensors: tuple[str, ...], sensor_rows: pd.DataFrame, links: pd.DataFrame) -> Network:
    """The network among `sensors`, from traffic_sensors (sensor_id, graph_index) and traffic_road_links.

    A sensor absent from the graph simply has no links (its features fall back to its own readings).
    """
    position = {str(sid): i for i, sid in enumerate(sensors)}
    graph_to_panel = {
        int(g): position[str(s)]
        for s, g in zip(sensor_rows["sensor_id"], sensor_rows["graph_index"])
        if pd.notna(g) and str(s) in position
    }
    weights = np.zeros((len(sensors), len(sensors)))
    linked = links[(links["weight"] > 0) & links["from_index"].isin(graph_to_panel) & links["to_index"].isin(graph_to_panel)]
    rows = linked["from_index"].map(graph_to_panel).to_numpy(dtype=np.int64)
    cols = linked["to_index"].map(graph_to_panel).to_numpy(dtype=np.int64)
    weights[rows, cols] = linked["weight"].to_numpy(dtype=np.float64)
    np.fill_diagonal(weights, 0.0)
    return Network(weights)
