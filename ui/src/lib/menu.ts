// An item of a context menu.
export interface MenuItem {
  label: string;
  testid: string;
  action: () => void;
  disabled?: boolean;
  danger?: boolean;
  separatorBefore?: boolean;
}
