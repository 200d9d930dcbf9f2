"""The networks of the deep methods, each with the terms of its method's loss on a batch:
the estimators in :mod:`mvgraph.models` build them, train them and read the clusters."""

from mvgraph.nn.networks.bmvc import BMvCNetwork
from mvgraph.nn.networks.conan import CONANNetwork
from mvgraph.nn.networks.crrc import RECALIBRATIONS, CRRCNetwork
from mvgraph.nn.networks.dmac import DMACNetwork
from mvgraph.nn.networks.rav import RAVNetwork

__all__ = ["RECALIBRATIONS", "BMvCNetwork", "CONANNetwork", "CRRCNetwork", "DMACNetwork",
           "RAVNetwork"]
