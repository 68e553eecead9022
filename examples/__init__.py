"""Example plans for the seed's schemes (each folder: example.yaml, plan.yaml, roster.csv, data/<month>/);
shipped inside the package as xl_kpi.examples for ``xl-kpi init DIR --example NAME``."""
