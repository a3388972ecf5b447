"""Fulfilment monitoring: promises judged, findings stored, consequences applied, consumers told first."""
