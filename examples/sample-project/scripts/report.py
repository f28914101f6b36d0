"""Prints a daily sales digest."""
import csv
import sys


def digest(path):
    # TODO: group by region as well as by product
    totals = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            totals[row["product"]] = totals.get(row["product"], 0) + float(row["revenue"] or 0)
    return totals


if __name__ == "__main__":
    # FIXME: handle a missing argument with a usage message
    print(digest(sys.argv[1]))
